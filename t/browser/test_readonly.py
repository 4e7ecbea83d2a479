"""The console on a read-only API location (/ro-console/ -> /ro-api/): it
shows everything, and no write control is enabled; nothing but reads
reaches the API."""

import re

from selenium.webdriver.common.by import By

from ui import ConsoleTest

# a button that changes something, on any page, by its visible words
WRITE = re.compile(r'\b(create|new|add|import|publish|unpublish|delete|'
                   r'remove|rename|save|suspend|modify|edit|send|upload|'
                   r'ok)\b|create an event|test send', re.I)


class ReadOnly(ConsoleTest):

    def enabled_writes(self):
        """The displayed, enabled buttons whose text is a write action,
        and enabled file inputs (an import)."""
        out = [b.text for b in self.d.find_elements(By.TAG_NAME, 'button')
               if b.is_displayed() and b.is_enabled() and
               WRITE.search(b.text or '')]
        out += ['file input' for i in self.d.find_elements(
            By.CSS_SELECTOR, 'input[type=file]') if i.is_enabled()]
        return out

    def test_readonly_console(self):
        self.basics('ro', contacts=1)
        self.campaign('ro-1', 'Read only pending', 'ro-f', 'ro-g')
        self.campaign('ro-2', 'Read only running', 'ro-f', 'ro-g')
        self.set_status('ro-2', 'running')
        self.campaign('ro-3', 'Read only paused', 'ro-f', 'ro-g')
        self.set_status('ro-3', 'paused')
        writes_before = self.non_reads()

        self.open('campaigns', console='/ro-console/',
                  heading='Marketing campaigns')
        for name, status in (('Read only pending', 'To be executed'),
                             ('Read only running', 'In progress'),
                             ('Read only paused', 'Paused')):
            self.assertIn(status, self.row(name).text)
            # each of them allowed by its state, and still disabled here
            self.assertEqual(self.row_buttons(name), {
                'Suspend': False, 'Modify': False, 'Delete': False}, name)
        self.assertFalse(self.button('Create an event').is_enabled())
        self.assertEqual(self.enabled_writes(), [])

        # every page shows its data, with no write enabled
        for page, route, shown in (('User groups', 'groups', 'Group ro'),
                                   ('Contacts', 'contacts', 'Contact 0'),
                                   ('Chat flows', 'flows', 'Flow ro'),
                                   ('Channels', 'channels', 'Channel ro-wa')):
            with self.subTest(page=page):
                self.open(route, console='/ro-console/', heading=page)
                self.wait_for(lambda: self.named(shown, self.main()),
                              '%r on %s' % (shown, page))
                self.assertEqual(self.enabled_writes(), [], page)

        # and the flow's own page: no Publish / Unpublish to press
        self.open('flows/ro-f', console='/ro-console/')
        self.wait_for(lambda: 'Flow ro' in self.main().text, 'the flow page')
        self.assertEqual(self.enabled_writes(), [], 'the flow page')

        self.assertEqual(self.non_reads(), writes_before,
                         'no write request reached /ro-api/')

    def non_reads(self):
        return [l for l in self.h.access_lines()
                if ' /ro-api/' in l and not l.startswith(('GET ', 'HEAD '))]
