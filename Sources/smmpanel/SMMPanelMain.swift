import SMMApp

/// The executable only hands over to the command tree in SMMApp.
@main
struct SMMPanelMain {
    static func main() async {
        PanelLogHandler.bootstrap()
        await SMMPanelCommand.main()
    }
}
