#!/usr/bin/env python3
"""Browser journeys through the web panel, in headless Chromium driven by Selenium.

Starts nothing itself: it is given the address of a running `smmpanel serve --demo` and the
demo admin's login. Exits 0 only if every journey passed; prints one line per journey.

    journeys.py --base-url http://127.0.0.1:8080 --admin-user admin --admin-password PASS
"""
import argparse
import re
import secrets
import sys
from decimal import Decimal

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

XSS_LINK = "https://example.com/<script>window.__xss=1</script>"


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


class Browser:
    """One person at one browser: their own cookies, their own window."""

    def __init__(self, base, chromium, chromedriver, phone=False):
        options = webdriver.ChromeOptions()
        options.binary_location = chromium
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
            options.add_argument(arg)
        options.add_argument("--window-size=390,844" if phone else "--window-size=1280,900")
        self.driver = webdriver.Chrome(service=Service(chromedriver), options=options)
        self.driver.set_page_load_timeout(30)
        self.base = base

    def open(self, path):
        self.driver.get(self.base + path)
        check("{{" not in self.driver.page_source, f"{path}: unrendered template")
        check(self.driver.execute_script("return window.__xss") is None, f"{path}: a script from a link ran")
        return self

    def fill(self, name, value, form=None):
        scope = form or self.driver
        field = scope.find_element(By.NAME, name)
        field.clear()
        field.send_keys(value)

    def click(self, css):
        self.press(self.driver.find_element(By.CSS_SELECTOR, css))

    def press(self, element):
        """Clicks a submit button and waits until the next page has replaced this one.

        The old page is recognised by a mark left in its window, not by an element reference:
        Chromium answers a reference to a node of a page being replaced with a generic
        "Node with given id does not belong to the document" error instead of the stale-element
        error Selenium's `staleness_of` expects (it failed CI once that way).
        """
        mark = secrets.token_hex(8)
        self.driver.execute_script("window.__pageMark = arguments[0]", mark)
        element.click()

        def replaced(driver):
            try:
                return driver.execute_script(
                    "return window.__pageMark !== arguments[0] && document.readyState === 'complete'", mark)
            except WebDriverException:
                return False  # between the two pages: ask again

        WebDriverWait(self.driver, 15).until(replaced)

    def text(self, css):
        return self.driver.find_element(By.CSS_SELECTOR, css).text

    def texts(self, css):
        return [e.text for e in self.driver.find_elements(By.CSS_SELECTOR, css)]

    def balance(self):
        return Decimal(self.text("header .balance").split()[0])

    def notice(self):
        found = self.texts(".notice")
        return found[0] if found else ""

    def errors(self):
        return self.texts("p.error")

    def login(self, user, password):
        self.open("/login")
        self.fill("username", user)
        self.fill("password", password)
        self.click("form.card button")
        check("/login" not in self.driver.current_url, f"login of {user} failed: {self.errors()}")

    def quit(self):
        self.driver.quit()


def service_ids_by_type(browser):
    """Reads the services page: the first service id of each type."""
    browser.open("/services")
    ids = {}
    for row in browser.driver.find_elements(By.CSS_SELECTOR, "table tbody tr"):
        cells = row.find_elements(By.TAG_NAME, "td")
        ids.setdefault(cells[2].text.strip(), cells[0].text.strip())
    return ids


def place(browser, service_id, fields, expect_charge):
    browser.open(f"/order?service={service_id}")
    form = browser.driver.find_element(By.CSS_SELECTOR, "form.order-form")
    for name, value in fields.items():
        browser.fill(name, value, form)
    # The script shows the charge as the customer types, before anything is sent.
    live = browser.text("#live-charge")
    check(live == expect_charge, f"live charge for service {service_id}: {live}, expected {expect_charge}")
    browser.press(form.find_element(By.CSS_SELECTOR, "button[value=place]"))
    match = re.search(r"/orders/(\d+)", browser.driver.current_url)
    check(match, f"order of service {service_id} not placed: {browser.errors()}")
    return match.group(1)


def run(args):
    passed = []
    customer = Browser(args.base_url, args.chromium, args.chromedriver, phone=True)
    admin = Browser(args.base_url, args.chromium, args.chromedriver)
    try:
        # 1. Sign up.
        name = "web" + secrets.token_hex(4)
        password = "pw-" + secrets.token_hex(8)
        customer.open("/signup")
        customer.fill("username", name)
        customer.fill("password", password)
        customer.fill("confirm", password)
        customer.click("form.card button")
        check(customer.driver.current_url.endswith("/dashboard?notice=notice_welcome"), f"sign-up: {customer.errors()}")
        check(customer.balance() == 0, "a new customer starts at 0")
        passed.append("sign up")

        # 2. Ask for funds; the admin approves; the balance and ledger show it.
        customer.open("/funds")
        Select(customer.driver.find_element(By.NAME, "method")).select_by_visible_text("Bank transfer")
        customer.fill("amount", "20")
        customer.fill("reference", "BANK-" + name)
        customer.click("form[action='/funds'] button")
        check("Payment request" in customer.notice(), f"funds request: {customer.errors()}")
        admin.login(args.admin_user, args.admin_password)
        admin.open("/admin/payments")
        rows = [r for r in admin.driver.find_elements(By.CSS_SELECTOR, "table tbody tr") if ("BANK-" + name) in r.text]
        check(len(rows) == 1, "the admin sees the payment request")
        admin.press(rows[0].find_element(By.CSS_SELECTOR, "button[value=approve]"))
        check("approved" in admin.notice(), f"approve: {admin.errors()}")
        customer.open("/funds")
        check(customer.balance() == Decimal("20"), f"balance after approval: {customer.balance()}")
        check("BANK-" + name in customer.driver.page_source and "Deposit" in customer.driver.page_source, "ledger shows the deposit")
        passed.append("funds approved by admin")

        # 3. Three service types, one with a <script> link.
        ids = service_ids_by_type(customer)
        default_order = place(customer, ids["Default"], {"link": XSS_LINK, "quantity": "1000"}, "0.90000")
        comments_order = place(customer, ids["Custom Comments"],
                               {"link": "https://instagram.com/p/c" + name, "comments": "\n".join(f"comment {i}" for i in range(10))}, "0.08000")
        poll_order = place(customer, ids["Poll"], {"link": "https://twitter.com/p/" + name, "quantity": "500", "answer_number": "2"}, "0.60000")
        check(customer.balance() == Decimal("18.42"), f"balance after three orders: {customer.balance()}")
        passed.append("three service types ordered")

        # 4. See them.
        customer.open("/orders")
        listed = customer.driver.page_source
        for order in (default_order, comments_order, poll_order):
            check(f'href="/orders/{order}"' in listed, f"order {order} listed")
        check(XSS_LINK in customer.texts("td.link-cell"), "the <script> link is shown as text")
        passed.append("orders listed")

        # 5. Cancel one and see the refund.
        customer.open(f"/orders/{poll_order}")
        customer.click(f"form[action='/orders/{poll_order}/cancel'] button")
        check("canceled" in customer.notice(), f"cancel: {customer.errors()}")
        check(customer.balance() == Decimal("19.02"), f"balance after cancel: {customer.balance()}")
        passed.append("cancel refunds")

        # 6. Mass order with one bad line.
        customer.open("/order/mass")
        customer.fill("orders", "\n".join([
            f"{ids['Default']} | https://instagram.com/m1{name} | 100",
            f"{ids['Default']} | https://instagram.com/m2{name} | 1",
            f"{ids['Default']} | https://instagram.com/m3{name} | 200",
        ]))
        customer.click("form[action='/order/mass'] button")
        check("2 of 3 lines placed." in customer.texts(".notice"), f"mass order summary: {customer.texts('.notice')}")
        bad = customer.texts(".mass-line.bad")
        check(len(bad) == 1 and "Quantity less than minimal 50" in bad[0], f"the bad line is reported: {bad}")
        check(customer.balance() == Decimal("18.75"), f"balance after mass order: {customer.balance()}")
        passed.append("mass order with one bad line")

        # 7. The admin sets an order Partial; the customer sees the refund.
        admin.open(f"/admin/orders/{default_order}")
        check(XSS_LINK in admin.driver.find_element(By.CSS_SELECTOR, "dd.link-cell").text, "the admin sees the link as text")
        form = admin.driver.find_element(By.CSS_SELECTOR, f"form[action='/admin/orders/{default_order}']")
        Select(form.find_element(By.NAME, "status")).select_by_value("Partial")
        admin.fill("start_count", "1200", form)
        admin.fill("remains", "400", form)
        admin.press(form.find_element(By.CSS_SELECTOR, "button"))
        check(admin.notice() == "Saved.", f"admin edit: {admin.errors()}")
        customer.open(f"/orders/{default_order}")
        check("Partial" in customer.text("dl.facts"), "the customer sees Partial")
        check(customer.balance() == Decimal("19.11"), f"balance after Partial (0.36 back): {customer.balance()}")
        passed.append("admin Partial refund seen by the customer")

        # 8. Escaped everywhere, on a phone, in Arabic too.
        for path in ("/dashboard", "/orders", f"/orders/{default_order}", f"/order?service={ids['Default']}", "/services", "/api"):
            customer.open(path)
            width = customer.driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
            check(width <= 1, f"{path} is wider than the phone screen by {width}px")
        for path in ("/admin", "/admin/orders", f"/admin/orders/{default_order}", "/admin/ledger"):
            admin.open(path)
        customer.open("/account")
        Select(customer.driver.find_element(By.CSS_SELECTOR, "main select[name=language]")).select_by_value("ar")
        customer.click("main form[action='/account/language'] button")
        html = customer.driver.find_element(By.TAG_NAME, "html")
        check(html.get_attribute("dir") == "rtl" and html.get_attribute("lang") == "ar", "Arabic pages are right-to-left")
        customer.open("/orders")
        check(XSS_LINK in customer.texts("td.link-cell"), "the link is text in Arabic too")
        passed.append("escaped, phone-sized, Arabic")
    finally:
        for line in passed:
            print("JOURNEY OK:", line)
        customer.quit()
        admin.quit()
    return len(passed)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--admin-user", required=True)
    parser.add_argument("--admin-password", required=True)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--chromedriver", default="/usr/bin/chromedriver")
    args = parser.parse_args()
    try:
        count = run(args)
    except Failure as failure:
        print("JOURNEY FAILED:", failure)
        return 1
    print(f"BROWSER JOURNEYS PASSED: {count}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
