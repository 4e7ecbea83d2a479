"""What every browser test shares: the base TestCase (a screenshot and a
check of the browser's console log after each test), finding elements the
way a user does -- by a label's visible text and a button's text, never by
ids or classes the spec does not fix -- and building data through the API.
"""

import datetime
import os
import re
import time
import unittest
import zlib

from selenium.common.exceptions import (StaleElementReferenceException,
                                        WebDriverException)
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

import harness
from harness import wait_until

WAIT = 10          # seconds: the deadline of any one UI condition

# the four statuses as the console must show them (README "The console")
SHOWN = {'pending': 'To be executed', 'running': 'In progress',
         'paused': 'Paused', 'completed': 'Completed'}


def xpath_literal(s):
    """s as an XPath string literal, whatever quotes it holds."""
    if "'" not in s:
        return "'%s'" % s
    if '"' not in s:
        return '"%s"' % s
    return "concat(%s)" % ", \"'\", ".join("'%s'" % p for p in s.split("'"))


def rfc3339(t):
    return datetime.datetime.fromtimestamp(int(t), datetime.timezone.utc) \
        .strftime('%Y-%m-%dT%H:%M:%SZ')


_phones = iter(range(1, 10 ** 6))


def phone():
    """A phone no other contact of the run has."""
    return '+8615%09d' % next(_phones)


def digits_of(text):
    """A stable number for a name: phone number ids are digits only."""
    return str(zlib.crc32(text.encode()) + 10 ** 10)


def slug(name):
    return re.sub(r'^test_', '', name).replace('_', '-')


class ConsoleTest(unittest.TestCase):
    """Each test: a screenshot build/browser/<test-name>.png at its end,
    and no SEVERE entry in the browser's console log (a request the test
    itself makes fail, declared with expect_failed_request, excepted)."""

    def setUp(self):
        self.h = harness.current()
        self.d = self.h.driver
        self.allowed = []
        self.shot = False
        self.d.get_log('browser')      # start from an empty log

    browser = True     # False: a test of plain HTTP, no screenshot

    def screenshot(self, name=None):
        """build/browser/<test-name>.png now (the test's telling moment);
        without it, tearDown takes one at the end."""
        self.shot = True
        try:
            self.d.save_screenshot(os.path.join(
                harness.SHOTS, (name or slug(self._testMethodName)) + '.png'))
        except WebDriverException:
            pass

    def tearDown(self):
        if self.browser and not self.shot:
            self.screenshot()
        self.assertTrue(self.h.alive(), 'nginx and campaignd still run')
        severe = [e for e in self.d.get_log('browser')
                  if e['level'] == 'SEVERE' and not self._allowed(e)]
        self.assertEqual(severe, [], 'SEVERE entries in the browser log')

    def expect_failed_request(self, path, status):
        """The test provokes this answer on purpose (and checks the page
        shows it): Chrome logs it as a failed resource, which is no defect."""
        self.allowed.append((path, status))

    def _allowed(self, entry):
        if entry.get('source') != 'network':
            return False
        return any(path in entry['message'] and
                   ('status of %d' % status) in entry['message']
                   for path, status in self.allowed)

    # -- navigation -------------------------------------------------------

    def open(self, route, console='/console/', heading=None):
        """Loads the console afresh at #/route and waits for its page
        heading (an <h1> with the page name)."""
        self.d.get('about:blank')
        self.d.get(self.h.url(console + '#/' + route))
        if heading:
            self.wait_for(lambda: self.visible(
                '//h1[normalize-space(.)=%s]' % xpath_literal(heading)),
                'the page heading %r' % heading)

    def wait_for(self, cond, what, timeout=WAIT):
        """WebDriverWait on cond (re-tried while elements go stale)."""
        def attempt(_):
            try:
                return cond()
            except StaleElementReferenceException:
                return False
        return WebDriverWait(self.d, timeout, 0.05).until(
            attempt, 'waiting for %s' % what)

    # -- finding things as a user does --------------------------------------

    def visible(self, xpath, scope=None):
        """The displayed elements matching xpath (relative to scope)."""
        root = scope if scope is not None else self.d
        if scope is not None and xpath.startswith('//'):
            xpath = '.' + xpath
        return [e for e in root.find_elements(By.XPATH, xpath)
                if e.is_displayed()]

    def dialog(self):
        """The open dialog (<dialog open> or role=dialog) on top."""
        found = self.wait_for(
            lambda: self.visible("//dialog[@open] | //*[@role='dialog']"),
            'an open dialog')
        return found[-1]

    def no_dialog(self):
        self.wait_for(lambda: not self.visible(
            "//dialog[@open] | //*[@role='dialog']"), 'the dialog to close')

    def main(self):
        return self.d.find_element(By.TAG_NAME, 'main')

    def field(self, label, scope=None):
        """The form control whose <label> reads exactly `label`: through
        the label's `for`, or the control inside the label."""
        def find():
            for lab in self.visible('//label[normalize-space(.)=%s]'
                                    % xpath_literal(label), scope):
                target = lab.get_attribute('for')
                if target:
                    els = self.d.find_elements(By.ID, target)
                    if els:
                        return els[0]
                inner = lab.find_elements(By.XPATH,
                                          './/input | .//select | .//textarea')
                if inner:
                    return inner[0]
            return None
        return self.wait_for(find, 'a field labelled %r' % label)

    def button(self, text, scope=None):
        return self.wait_for(
            lambda: (self.visible('//button[normalize-space(.)=%s]'
                                  % xpath_literal(text), scope) or [None])[0],
            'a button %r' % text)

    def click(self, text, scope=None):
        b = self.button(text, scope)
        self.assertTrue(b.is_enabled(), 'button %r is enabled' % text)
        b.click()
        return b

    def confirm(self, answer='OK'):
        """Answers the confirmation dialog a destructive action asks."""
        dlg = self.dialog()
        self.button(answer, dlg).click()
        self.no_dialog()

    def named(self, text, scope=None):
        """The innermost displayed elements whose whole text is `text`."""
        lit = xpath_literal(text)
        return self.visible('//*[normalize-space(.)=%s and not(*[normalize-'
                            'space(.)=%s])]' % (lit, lit), scope)

    def row(self, name):
        """A list row: the nearest ancestor of the element showing `name`
        that holds a Delete button (table or not)."""
        def find():
            for el in self.named(name, self.main()):
                anc = el.find_elements(
                    By.XPATH, "ancestor::*[.//button[normalize-space(.)="
                    "'Delete']][1]")
                if anc:
                    return anc[0]
            return None
        return self.wait_for(find, 'the row of %r' % name)

    def row_buttons(self, name):
        """{text: enabled} of the Suspend / Modify / Delete buttons of a row."""
        r = self.row(name)
        out = {}
        for text in ('Suspend', 'Modify', 'Delete'):
            bs = r.find_elements(By.XPATH, './/button[normalize-space(.)=%s]'
                                 % xpath_literal(text))
            self.assertEqual(len(bs), 1, 'one %s button in the row of %r'
                             % (text, name))
            out[text] = bs[0].is_enabled()
        return out

    def row_count(self):
        """Rows of the list: one Delete button each (dialogs excluded)."""
        return len([b for b in self.main().find_elements(
            By.XPATH, ".//button[normalize-space(.)='Delete']")
            if b.is_displayed()])

    def row_texts(self):
        """The text of every list row (the largest element around each
        Delete button that holds no other Delete button)."""
        return self.d.execute_script(
            "const main = document.querySelector('main');"
            "const del = [...main.querySelectorAll('button')].filter(b =>"
            "  b.textContent.trim() === 'Delete' && b.offsetParent !== null);"
            "const count = n => [...n.querySelectorAll('button')].filter(b =>"
            "  b.textContent.trim() === 'Delete').length;"
            "return del.map(b => { let r = b;"
            "  while (r.parentElement && r.parentElement !== main &&"
            "         count(r.parentElement) === 1) r = r.parentElement;"
            "  return r.innerText; });")

    def shown_list(self, names):
        """The list's rows, top down, as the one name of `names` each shows
        (None when a row shows no known name, or more than one)."""
        found = []
        for text in self.row_texts():
            lines = {l.strip() for l in re.split(r'[\t\n]', text)}
            hit = [n for n in names if n in lines]
            if len(hit) != 1:
                return None
            found.append(hit[0])
        return found

    def shown_names(self, names):
        """shown_list as a set (None as there)."""
        found = self.shown_list(names)
        return None if found is None else set(found)

    def pair(self, el):
        """The other control of a two-part field (Execution plan: its unit
        and its every N), in the nearest container holding both."""
        return self.d.execute_script(
            "let el = arguments[0], n = el.parentElement;"
            "while (n) {"
            "  const c = [...n.querySelectorAll('input, select')]"
            "    .filter(x => x !== el && x.type !== 'hidden');"
            "  if (c.length) return c.length === 1 ? c[0] : null;"
            "  n = n.parentElement; }"
            "return null;", el)

    def page_text(self):
        return self.d.find_element(By.TAG_NAME, 'body').text

    # -- filling forms ------------------------------------------------------

    def fill(self, el, value):
        """Types a value as a user would; a select picks the option whose
        value or visible text is `value` (or starts with it)."""
        tag = el.tag_name.lower()
        kind = (el.get_attribute('type') or '').lower()
        if tag == 'select':
            self.choose(el, value)
        elif kind in ('datetime-local', 'date', 'time'):
            # Chrome's date pickers take keys in the locale's order; the
            # value is set as the picker would set it, with its events
            self.d.execute_script(
                "const [el, v] = arguments;"
                "const set = Object.getOwnPropertyDescriptor("
                "  HTMLInputElement.prototype, 'value').set;"
                "set.call(el, v);"
                "el.dispatchEvent(new Event('input', {bubbles: true}));"
                "el.dispatchEvent(new Event('change', {bubbles: true}));",
                el, value)
        else:
            el.clear()
            if value:
                el.send_keys(value)

    def choose(self, el, *wanted):
        """Picks in a <select> the option whose value or text is one of
        `wanted` (exactly, else the text starting with it)."""
        sel = Select(el)

        def pick():
            for w in wanted:
                for o in sel.options:
                    if o.get_attribute('value') == w or \
                            o.text.strip() == w:
                        return o
            for w in wanted:
                for o in sel.options:
                    if o.text.strip().startswith(w):
                        return o
            return None
        opt = self.wait_for(pick, 'an option %r' % (wanted,))
        if not opt.is_selected():
            opt.click()
        self.d.execute_script(
            "arguments[0].dispatchEvent(new Event('change', {bubbles: true}))",
            el)

    def local_input(self, epoch):
        """The value of a datetime-local input for that instant in the
        browser's own time zone."""
        return self.d.execute_script(
            "const d = new Date(arguments[0] * 1000);"
            "const p = n => String(n).padStart(2, '0');"
            "return d.getFullYear() + '-' + p(d.getMonth() + 1) + '-' +"
            "  p(d.getDate()) + 'T' + p(d.getHours()) + ':' + p(d.getMinutes());",
            epoch)

    def at_field(self, el, message):
        """True when `message` is shown at the control el: inside el's own
        wrapper, or in an element right after it (before any other field);
        never where another control is nearer."""
        return self.d.execute_script(
            "const [el, msg] = arguments;"
            "const has = n => n.offsetParent !== null &&"
            "  (n.innerText || '').includes(msg);"
            "const others = n => [...n.querySelectorAll('input, select, "
            "  textarea')].some(c => c !== el && c.type !== 'hidden');"
            "for (let n = el; n && n !== document.body; n = n.parentElement) {"
            "  if (n !== el && others(n)) return false;"
            "  if (n !== el && has(n)) return true;"
            "  for (let s = n.nextElementSibling; s; s = s.nextElementSibling) {"
            "    if (others(s) || s.contains(el)) break;"
            "    if (has(s)) return true;"
            "  }"
            "}"
            "return false;", el, message)

    # -- data through the API ---------------------------------------------

    def channel(self, cid, pnid=None, **over):
        """A ready WhatsApp channel pointed at the mock provider; its phone
        number id (digits, as Meta's are) is made from its id."""
        body = {'id': cid, 'name': 'Channel ' + cid, 'type': 'whatsapp',
                'min_gap_seconds': 0,
                'whatsapp': {'waba_id': '1',
                             'phone_number_id': pnid or digits_of(cid),
                             'access_token': 'token-' + cid,
                             'api_base_url': self.h.mock_base}}
        body.update(over)
        return self.h.api_ok('POST', '/channels', body)

    def flow(self, fid, name, channel, publish=True, definition=None,
             trigger='manual'):
        """A flow whose one message names its campaign ("cmp:ID:"), so the
        mock's log tells which campaign a request was for."""
        definition = definition or {'start': 's', 'nodes': [
            {'id': 's', 'type': 'send_whatsapp', 'channel_id': channel,
             'message': {'type': 'text',
                         'text': 'cmp:{{campaign.id}}:{{contact.phone}}'},
             'next': 'e'},
            {'id': 'e', 'type': 'end'}]}
        self.h.api_ok('POST', '/flows', {'id': fid, 'name': name,
                                         'trigger': trigger,
                                         'definition': definition})
        if publish:
            self.h.api_ok('POST', '/flows/%s/publish' % fid)

    def group(self, gid, name, phones=()):
        self.h.api_ok('POST', '/groups', {'id': gid, 'name': name})
        ids = []
        for i, phone in enumerate(phones):
            cid = '%s-c%d' % (gid, i)
            self.h.api_ok('POST', '/contacts', {'id': cid, 'phone': phone,
                                                'name': 'Contact %d' % i})
            ids.append(cid)
        if ids:
            self.h.api_ok('POST', '/groups/%s/members' % gid,
                          {'contact_ids': ids})

    def campaign(self, cid, name, flow, group, start=None, end=None,
                 unit='day'):
        now = time.time()
        start = start or now + 86400
        end = end or start + 86400
        return self.h.api_ok('POST', '/campaigns', {
            'id': cid, 'name': name, 'flow_id': flow, 'group_id': group,
            'start_time': rfc3339(start), 'end_time': rfc3339(end),
            'execution_plan': {'unit': unit, 'every': 1}})

    def basics(self, tag, contacts=1, **channel):
        """Channel tag-wa, published flow tag-f ("Flow tag"), group tag-g
        ("Group tag") with `contacts` members: what a campaign needs."""
        self.channel(tag + '-wa', **channel)
        self.flow(tag + '-f', 'Flow ' + tag, tag + '-wa')
        self.group(tag + '-g', 'Group ' + tag,
                   [phone() for _ in range(contacts)])

    def set_status(self, cid, status):
        """Moves a campaign where only time gets it (cmp-storectl), and
        waits until the API says so."""
        self.h.storectl('set-status', cid, status)
        wait_until(lambda: self.h.api('GET', '/campaigns/' + cid)[1]
                   ['status'] == status, 5, what='%s %s' % (cid, status))

    def sent_for(self, cid):
        """The mock provider's requests carrying campaign cid's message."""
        tag = 'cmp:%s:' % cid
        return [l for l in self.h.mock_lines() if tag in l]
