import Crypto

/// API keys are shown once and stored only as a SHA-256 hash. A key carries 128 random bits,
/// so a fast hash is enough: nothing can be learned by brute force, and lookups stay one
/// index probe.
public enum APIKeys {
    /// A fresh key: 32 lowercase hex characters, the form panels' keys usually take.
    public static func generate<R: RandomNumberGenerator>(using generator: inout R) -> String {
        var text = ""
        for _ in 0..<4 {
            let word = generator.next() as UInt32
            let hex = String(word, radix: 16)
            text += String(repeating: "0", count: 8 - hex.count) + hex
        }
        return text
    }

    public static func generate() -> String {
        var system = SystemRandomNumberGenerator()
        return generate(using: &system)
    }

    public static func hash(_ key: String) -> String {
        hex(SHA256.hash(data: Array(key.utf8)), count: SHA256.byteCount)
    }

    /// The first `count` bytes as lowercase hex.
    public static func hex<Bytes: Sequence<UInt8>>(_ bytes: Bytes, count: Int) -> String {
        // Written in one pass: a `String` per byte would be most of `hash`'s cost, and every
        // API call hashes its key (BENCHMARKS.md).
        let digits = Array("0123456789abcdef".utf8)
        return String(unsafeUninitializedCapacity: count * 2) { buffer in
            var index = 0
            for byte in bytes where index < count * 2 {
                buffer[index] = digits[Int(byte >> 4)]
                buffer[index + 1] = digits[Int(byte & 0x0f)]
                index += 2
            }
            return index
        }
    }

    /// What key lists show of a key: its last four characters.
    public static func hint(_ key: String) -> String {
        String(key.suffix(4))
    }
}
