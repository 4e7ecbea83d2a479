"""The other pages: a contacts import with a bad line, a flow's publish
problems listed by node and marked in the drawing, a channel's secrets
never reaching the page."""

import os
import signal

from selenium.webdriver.common.by import By

from harness import wait_until
from ui import ConsoleTest, phone


class Pages(ConsoleTest):

    # -- Contacts: import with a bad line -----------------------------------

    def test_import_contacts_bad_line(self):
        good = [(phone(), 'Import One'), (phone(), 'Import Two')]
        csv = ('phone,name\n%s,%s\n12345,Bad Phone\n%s,%s\n'
               % (good[0] + good[1]))
        path = self.h.path('import-bad-line.csv')
        with open(path, 'w') as f:
            f.write(csv)

        self.open('contacts', heading='Contacts')
        upload = self.wait_for(lambda: self.d.find_elements(
            By.CSS_SELECTOR, 'main input[type=file]'), 'a file input')[0]
        upload.send_keys(path)
        self.click('Import', self.main())

        # the good lines are in the store ...
        for number, name in good:
            self.wait_for(lambda: self.h.api_ok(
                'GET', '/contacts?phone=' + number.replace('+', '%2B'))
                ['items'], 'contact %s imported' % number)
            c = self.h.api_ok('GET', '/contacts?phone=' +
                              number.replace('+', '%2B'))['items'][0]
            self.assertEqual(c['name'], name)
        self.assertEqual(self.h.api_ok('GET', '/contacts?q=Bad%20Phone')
                         ['items'], [], 'the bad line was not imported')

        # ... and the page lists the API's own reject: its line, its words.
        # The same file again, keeping what exists, answers the same reject
        # and changes nothing.
        _, again, _ = self.h.api('POST', '/contacts/import?on_duplicate=ignore',
                                 csv, ctype='text/csv')
        self.assertEqual(len(again['rejected']), 1, again)
        bad = again['rejected'][0]
        self.wait_for(lambda: self.d.execute_script(
            "const [line, msg] = arguments;"
            "const word = new RegExp('(^|\\\\D)' + line + '(\\\\D|$)');"
            "const deepest = [...document.querySelectorAll('main *')].filter(e =>"
            "  e.textContent.includes(msg) &&"
            "  ![...e.children].some(c => c.textContent.includes(msg)));"
            "return deepest.some(e => word.test(e.textContent) ||"
            "  word.test(e.parentElement.textContent));",
            bad['line'], bad['error']),
            'line %d: %r shown' % (bad['line'], bad['error']))

    # -- Chat flows: publish problems by node -------------------------------

    def test_flow_publish_errors(self):
        self.channel('pe-wa')
        # node ids no message contains, so that a line naming one is that
        # node's: a missing channel, a missing next, two unreachable nodes
        broken = {'start': 'greet', 'nodes': [
            {'id': 'greet', 'type': 'send_whatsapp',
             'channel_id': 'pe-nochannel',
             'message': {'type': 'text', 'text': 'Hi'}, 'next': 'ghost'},
            {'id': 'orphan', 'type': 'end'},
            {'id': 'lonely', 'type': 'end'}]}
        self.flow('pe-f', 'Flow pe', 'pe-wa', publish=False,
                  definition=broken)
        # the API's own list of problems (a refused publish changes nothing)
        status, doc, _ = self.h.api('POST', '/flows/pe-f/publish')
        self.assertEqual(status, 422, doc)
        problems = doc['error']['errors']
        self.assertGreaterEqual(len({p['node'] for p in problems}), 2)

        self.expect_failed_request('/api/flows/pe-f/publish', 422)
        self.open('flows/pe-f', heading='Chat flows')
        self.click('Publish', self.main())
        # each problem shown with its node: some element holds the message
        # and that node's id, and no other problem's node
        nodes = {p['node'] for p in problems}
        for p in problems:
            self.wait_for(lambda: self.d.execute_script(
                "const [node, msg, others] = arguments;"
                "const word = w => new RegExp('\\\\b' + w + '\\\\b');"
                "return [...document.querySelectorAll('main *')].some(e =>"
                "  e.textContent.includes(msg) && word(node).test(e.textContent)"
                "  && !others.some(o => word(o).test(e.textContent)));",
                p['node'], p['message'], sorted(nodes - {p['node']})),
                'problem %s: %r listed by its node' % (p['node'], p['message']))
        # the drawing marks each node that has a problem, and only those
        marked = self.wait_for(lambda: {g.get_attribute('data-node') for g in
                                        self.d.find_elements(
                                            By.CSS_SELECTOR,
                                            'svg g.node-error[data-node]')},
                               'nodes marked in the drawing')
        self.assertEqual(marked, {p['node'] for p in problems
                                  if p['node'] in {n['id'] for n in
                                                   broken['nodes']}})
        self.assertEqual(self.h.api_ok('GET', '/flows/pe-f')['status'],
                         'unpublished')

    # -- Channels: secrets are write-only -----------------------------------

    def test_channel_secret_hidden(self):
        secrets = {'access_token': 'EAAGsecret4711token',
                   'app_secret': 'appsecret4711', 'verify_token': 'verify4711'}
        self.channel('se-wa', whatsapp=dict(
            waba_id='1', phone_number_id='1555000123',
            api_base_url=self.h.mock_base,
            **secrets))
        self.open('channels', heading='Channels')
        self.wait_for(lambda: self.named('Channel se-wa', self.main()),
                      'the channel listed')
        self.assert_no_secret(secrets)
        # nor in its edit form
        row = self.named('Channel se-wa', self.main())[0].find_element(
            By.XPATH, "ancestor::tr[1]")
        self.click('Edit', row)
        self.dialog()
        self.assert_no_secret(secrets)
        self.click('Cancel', self.dialog())
        self.no_dialog()

    def assert_no_secret(self, secrets):
        source = self.d.page_source
        values = self.d.execute_script(
            "return [...document.querySelectorAll('input, textarea')]"
            ".map(i => i.value).join('\\n')")
        for key, value in secrets.items():
            self.assertNotIn(value, source, key + ' in the page source')
            self.assertNotIn(value, values, key + ' in a field')

    # -- the banner when campaignd is not running ----------------------------

    def alerts(self):
        """The texts of the displayed role=alert elements (the banner)."""
        return [e.text for e in self.d.find_elements(
            By.CSS_SELECTOR, '[role=alert]') if e.is_displayed() and e.text]

    def alive(self):
        return self.h.api_ok('GET', '/health')['scheduler']['alive']

    def test_stale_heartbeat_banner(self):
        # the console reads /health before it draws a page: once the heading
        # is there, the banner is as it will be
        self.open('campaigns', heading='Marketing campaigns')
        self.assertEqual(self.alerts(), [], 'no banner while campaignd runs')

        # campaignd stopped in its tracks, its last heartbeat a minute old
        pid = self.h.campaignd.pid
        os.kill(pid, signal.SIGSTOP)
        try:
            self.h.storectl('meta', 'campaignd_heartbeat', 'now-60')
            wait_until(lambda: not self.alive(), 5, what='health: not alive')
            self.open('campaigns', heading='Marketing campaigns')
            self.wait_for(lambda: any('campaignd' in a for a in self.alerts()),
                          'a banner saying campaignd is not running')
            self.screenshot()
        finally:
            os.kill(pid, signal.SIGCONT)
        wait_until(self.alive, 5, what='health: alive again')
        self.open('campaigns', heading='Marketing campaigns')
        self.assertEqual(self.alerts(), [], 'the banner gone')

    # -- every field has its label ----------------------------------------

    def unlabelled(self):
        """The displayed form controls no <label> names (README "The console": every
        input has a real <label>; the tests find fields by it)."""
        return self.d.execute_script(
            "return [...document.querySelectorAll('input, select, textarea')]"
            "  .filter(c => c.type !== 'hidden' && c.offsetParent !== null)"
            "  .filter(c => ![...(c.labels || [])].some(l =>"
            "    l.textContent.trim()))"
            "  .map(c => c.outerHTML.slice(0, 120));")

    def test_every_field_labelled(self):
        # the pages with fields of their own, once those are drawn
        for route, heading in (('campaigns', 'Marketing campaigns'),
                               ('contacts', 'Contacts'),
                               ('flows/new', 'Chat flows')):
            with self.subTest(page=route):
                self.open(route, heading=heading)
                self.wait_for(lambda: self.d.execute_script(
                    "return [...document.querySelectorAll('main input, "
                    "main select, main textarea')].some(c =>"
                    "  c.offsetParent !== null)"), 'the fields of ' + route)
                self.assertEqual(self.unlabelled(), [], route)
        # and each page's create dialog ("Create an event", "Create ...")
        for route, heading in (('campaigns', 'Marketing campaigns'),
                               ('groups', 'User groups'),
                               ('contacts', 'Contacts'),
                               ('channels', 'Channels')):
            with self.subTest(dialog=route):
                self.open(route, heading=heading)
                self.wait_for(lambda: self.visible(
                    "//button[starts-with(normalize-space(.), 'Create')]",
                    self.main()), 'a Create button on ' + route)[0].click()
                self.dialog()
                self.assertEqual(self.unlabelled(), [], route + ' dialog')
