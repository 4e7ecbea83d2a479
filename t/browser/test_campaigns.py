"""Marketing campaigns in the browser: the create dialog, its field errors,
Preview process, the four filters, Suspend / Modify / Delete by state, a
name made of markup, paging, and a campaign's detail (funnel, ledger, CSV). Each test builds its own data (ids tagged per test)
and checks the API, the store and the mock provider afterwards."""

import csv
import os
import re
import time

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from harness import holds_for, wait_until
from ui import SHOWN, ConsoleTest, rfc3339


# what a row offers in each state (README "The console" and "Campaigns")
ENABLED = {
    'pending':   {'Suspend': False, 'Modify': True,  'Delete': True},
    'running':   {'Suspend': True,  'Modify': False, 'Delete': False},
    'paused':    {'Suspend': False, 'Modify': True,  'Delete': True},
    'completed': {'Suspend': False, 'Modify': False, 'Delete': True},
}

# the dialog's label of each API field (README "The console")
LABEL = {'name': 'Activity Name', 'description': 'Activity Description',
         'flow_id': 'Related process', 'group_id': 'Associated groups',
         'start_time': 'Start time', 'end_time': 'End time'}


class Campaigns(ConsoleTest):

    def items(self, query):
        return self.h.api_ok('GET', '/campaigns?limit=1000&' + query)['items']

    def fill_dialog(self, dlg, name, flow, group, start, end,
                    description=None, unit=None, every=None):
        """Fills the Create/Modify dialog by its labels; times are epochs,
        typed as the browser's local time."""
        self.fill(self.field('Activity Name', dlg), name)
        if description is not None:
            self.fill(self.field('Activity Description', dlg), description)
        self.choose(self.field('Related process', dlg), *flow)
        self.choose(self.field('Associated groups', dlg), *group)
        self.fill(self.field('Start time', dlg), self.local_input(start))
        self.fill(self.field('End time', dlg), self.local_input(end))
        if unit or every:
            plan = self.field('Execution plan', dlg)
            other = self.pair(plan)
            self.assertIsNotNone(other, 'Execution plan has a unit and an N')
            sel, num = (plan, other) if plan.tag_name == 'select' \
                else (other, plan)
            self.choose(sel, unit)
            self.fill(num, str(every))

    # -- create -------------------------------------------------------------

    def test_create_campaign(self):
        self.basics('cr')
        self.open('campaigns', heading='Marketing campaigns')
        self.click('Create an event')
        dlg = self.dialog()
        # whole minutes: what a datetime-local input holds
        start = (int(time.time()) // 60 + 2 * 24 * 60) * 60
        end = start + 3 * 86400
        name = 'Double-11 VIP push 双十一 cr'
        self.fill_dialog(dlg, name, ('cr-f', 'Flow cr'), ('cr-g', 'Group cr'),
                         start, end, description='Coupons for VIPs',
                         unit='hour', every=6)
        self.click('OK', dlg)
        self.no_dialog()

        # the list shows it, as To be executed
        row = self.row(name)
        self.assertIn('To be executed', row.text)

        # and the API holds exactly what was typed; the times are the
        # instants the browser's local wall-clock times name
        found = [c for c in self.items('name=cr') if c['name'] == name]
        self.assertEqual(len(found), 1, 'one campaign created')
        c = found[0]
        self.assertEqual(c['description'], 'Coupons for VIPs')
        self.assertEqual(c['flow_id'], 'cr-f')
        self.assertEqual(c['group_id'], 'cr-g')
        self.assertEqual(c['start_time'], rfc3339(start))
        self.assertEqual(c['end_time'], rfc3339(end))
        self.assertEqual(c['execution_plan'], {'unit': 'hour', 'every': 6})
        self.assertEqual(c['status'], 'pending')

    # -- the API's errors at their fields -------------------------------------

    def field_error(self, tag, name, start, end):
        """Submits the dialog with values the API refuses and checks that
        the API's own message is shown at the field it names, the dialog
        stays open, and nothing was created."""
        self.basics(tag)
        body = {'name': name, 'flow_id': tag + '-f', 'group_id': tag + '-g',
                'start_time': rfc3339(start),
                'end_time': rfc3339(end),
                'execution_plan': {'unit': 'day', 'every': 1}}
        # the API's answer to the same values: the words the page must show
        status, doc, _ = self.h.api('POST', '/campaigns', body)
        self.assertEqual(status, 422, doc)
        err = doc['error']
        self.assertIn(err['field'], LABEL)

        self.expect_failed_request('/api/campaigns', 422)
        self.open('campaigns', heading='Marketing campaigns')
        self.click('Create an event')
        dlg = self.dialog()
        self.fill_dialog(dlg, name, (tag + '-f',), (tag + '-g',), start, end)
        self.click('OK', dlg)

        control = self.field(LABEL[err['field']], dlg)
        self.wait_for(lambda: self.at_field(control, err['message']),
                      'the message %r at %s' % (err['message'],
                                                LABEL[err['field']]))
        self.assertTrue(self.dialog().is_displayed(), 'the dialog stays open')
        self.assertEqual([c for c in self.items('flow_id=' + tag + '-f')], [],
                         'nothing was created')
        self.click('Cancel', dlg)
        self.no_dialog()

    def test_field_error_name_too_long(self):
        start = (int(time.time()) // 60 + 24 * 60) * 60
        # 61 characters, 2 of them not ASCII (the API counts characters)
        self.field_error('fn', 'é' * 2 + 'n' * 59, start, start + 86400)

    def test_field_error_end_before_start(self):
        start = (int(time.time()) // 60 + 24 * 60) * 60
        self.field_error('fe', 'Ends before it starts', start, start - 3600)

    # -- Preview process ----------------------------------------------------

    def test_preview_process(self):
        self.channel('pv-wa')
        send = lambda i, nxt: {'id': i, 'type': 'send_whatsapp',
                               'channel_id': 'pv-wa', 'next': nxt,
                               'message': {'type': 'text', 'text': 'Hi ' + i}}
        self.flow('pv-f', 'Flow pv', 'pv-wa', definition={
            'start': 'hello', 'nodes': [
                send('hello', 'ask'),
                {'id': 'ask', 'type': 'wait_for_reply', 'timeout_seconds': 60,
                 'save_as': 'answer', 'replied': 'check', 'timeout': 'nudge'},
                {'id': 'check', 'type': 'condition', 'branches': [
                    {'match': 'any', 'next': 'coupon', 'rules': [
                        {'variable': 'answer', 'op': 'string_equals',
                         'value': 'YES'}]}], 'else': 'bye'},
                send('coupon', 'bye'),
                {'id': 'nudge', 'type': 'jump', 'target': 'hello',
                 'max_jumps': 1, 'next': 'bye'},
                {'id': 'bye', 'type': 'end'}]})
        self.group('pv-g', 'Group pv')
        preview = self.h.api_ok('GET', '/flows/pv-f/preview')

        self.open('campaigns', heading='Marketing campaigns')
        self.click('Create an event')
        dlg = self.dialog()
        self.choose(self.field('Related process', dlg), 'pv-f', 'Flow pv')
        self.click('Preview process', dlg)

        # one box per node of the API's preview (graph.js: <g data-node>)
        want = {n['id']: n for n in preview['nodes']}
        boxes = self.wait_for(lambda: (lambda g: g if len(g) == len(want)
                                       else None)(
            self.d.find_elements(By.CSS_SELECTOR, 'svg g[data-node]')),
            '%d node boxes in the drawing' % len(want))
        drawn = {g.get_attribute('data-node'): g for g in boxes}
        self.assertEqual(set(drawn), set(want))
        for nid, node in want.items():
            # the box's lines; a long label may be cut to fit ("…"), its
            # tooltip (<title>) then carries it whole
            lines = self.d.execute_script(
                "return [...arguments[0].querySelectorAll('text')]"
                ".map(t => t.textContent)", drawn[nid])
            tip = self.d.execute_script(
                "const t = arguments[0].querySelector('title');"
                "return t ? t.textContent : ''", drawn[nid])
            self.assertIn(node['type'], lines, 'node %s shows its type' % nid)
            label = node.get('label')
            if label:
                self.assertTrue(any(l == label or (l.endswith('…') and
                                    label.startswith(l[:-1]) and len(l) > 8)
                                    for l in lines),
                                'node %s shows its label %r: %r'
                                % (nid, label, lines))
                self.assertIn(label, tip + ' '.join(lines))
        # and the edges' labels: replied, timeout, else, ...
        svg_text = self.d.execute_script(
            "return [...document.querySelectorAll('svg text')]"
            ".map(t => t.textContent)")
        for e in preview['edges']:
            if e.get('label'):
                self.assertIn(e['label'], svg_text,
                              'edge %s -> %s labelled' % (e['from'], e['to']))

    # -- filters ------------------------------------------------------------

    def apply_filter(self, control):
        """A filter takes effect on change; Enter in a text box, and a
        Search button when the page has one, for pages that wait for it."""
        if control.tag_name == 'input':
            control.send_keys(Keys.ENTER)
        for b in self.visible("//button[normalize-space(.)='Search' or "
                              "normalize-space(.)='Filter' or "
                              "normalize-space(.)='Apply']", self.main()):
            if b.is_enabled():
                b.click()

    def test_filters(self):
        for t in ('fa', 'fb'):
            self.channel('fl%s-wa' % t)
            self.flow('fl%s-f' % t, 'Flow fl%s' % t, 'fl%s-wa' % t)
            self.group('fl%s-g' % t, 'Group fl%s' % t)
        mine = {  # id: (name, flow, group, status)
            'fl-1': ('Zq alpha one', 'flfa-f', 'flfa-g', 'pending'),
            'fl-2': ('Zq alpha two', 'flfb-f', 'flfa-g', 'paused'),
            'fl-3': ('Zq beta three', 'flfa-f', 'flfb-g', 'pending'),
            'fl-4': ('Zq beta four', 'flfb-f', 'flfb-g', 'completed'),
        }
        for cid, (name, flow, group, status) in mine.items():
            self.campaign(cid, name, flow, group)
            if status != 'pending':
                self.set_status(cid, status)
        every = {c['name'] for c in self.items('')}

        cases = [  # (label, what to pick or type, the API's query, the
                   #  rule that picks of this test's campaigns)
            ('Activity Name', ('ZQ ALPHA',), 'name=ZQ%20ALPHA',
             lambda n, f, g, s: 'zq alpha' in n.lower()),
            ('Related process', ('flfa-f', 'Flow flfa'), 'flow_id=flfa-f',
             lambda n, f, g, s: f == 'flfa-f'),
            ('Associated groups', ('flfb-g', 'Group flfb'), 'group_id=flfb-g',
             lambda n, f, g, s: g == 'flfb-g'),
            ('Activity Status', ('Paused',), 'status=paused',
             lambda n, f, g, s: s == 'paused'),
        ]
        for label, value, query, rule in cases:
            with self.subTest(filter=label):
                # the rows expected: the API's answer to the same filter
                # (other tests' campaigns too), which holds exactly those
                # of this test's the rule picks -- some, not all
                expected = {c['name'] for c in self.items(query)}
                ours = {m[0] for m in mine.values()}
                picked = {m[0] for m in mine.values() if rule(*m)}
                self.assertEqual(expected & ours, picked, label)
                self.assertTrue(0 < len(picked) < len(mine), label)

                self.open('campaigns', heading='Marketing campaigns')
                self.wait_for(lambda: self.shown_names(every) and
                              'Zq alpha one' in self.shown_names(every),
                              'the unfiltered list')
                control = self.field(label, self.main())
                if control.tag_name == 'select':
                    self.choose(control, *value)
                else:
                    self.fill(control, value[0])
                self.apply_filter(control)
                self.wait_for(lambda: self.shown_names(every) == expected,
                              '%s: exactly %s' % (label, sorted(expected)))
                self.screenshot('filters-' + label.lower().replace(' ', '-'))

    # -- Suspend a running campaign -------------------------------------------

    def test_suspend_running(self):
        # a slow channel, so that the run is still sending when suspended
        self.basics('su', contacts=30, rate_limit_per_second=1,
                    max_in_flight=1)
        self.campaign('su-1', 'Suspend me', 'su-f', 'su-g',
                      start=int(time.time()) + 2, end=time.time() + 3600)
        wait_until(lambda: self.sent_for('su-1'), 15,
                   what='campaignd to start sending su-1')

        self.open('campaigns', heading='Marketing campaigns')
        row = self.row('Suspend me')
        self.assertIn('In progress', row.text)

        # Cancel changes nothing
        self.click('Suspend', self.row('Suspend me'))
        self.confirm('Cancel')
        self.assertEqual(self.h.api('GET', '/campaigns/su-1')[1]['status'],
                         'running')

        self.click('Suspend', self.row('Suspend me'))
        self.confirm('OK')
        wait_until(lambda: self.h.api('GET', '/campaigns/su-1')[1]['status']
                   == 'paused', 5, what='the API to say paused')
        self.wait_for(lambda: 'Paused' in self.row('Suspend me').text,
                      'the row to say Paused')

        # what was not handed to the provider is skipped; a request in
        # flight at the suspend may still complete, and then the provider
        # has exactly the messages the ledger says were sent ...
        stats = lambda: self.h.api_ok('GET', '/campaigns/su-1/stats')
        done = wait_until(
            lambda: (lambda s: s if s.get('queued', 1) == 0 and
                     len(self.sent_for('su-1')) == s['sent'] else None)(
                stats()), 10,
            what='su-1: nothing queued, the provider got what was sent')
        self.assertGreater(done['skipped'], 0, done)
        self.assertLess(done['sent'], 30, done)
        # ... and nothing more afterwards (at 1/s, 3 s would bring 3 more)
        self.assertTrue(holds_for(
            lambda: len(self.sent_for('su-1')) == done['sent'] ==
            stats()['sent'], 3),
            'the provider received %d requests for su-1 after the ledger '
            'said %d were sent' % (len(self.sent_for('su-1')), done['sent']))

    # -- Delete a pending campaign -------------------------------------------

    def test_delete_pending(self):
        self.basics('de')
        self.campaign('de-1', 'Delete me', 'de-f', 'de-g')
        self.open('campaigns', heading='Marketing campaigns')

        self.click('Delete', self.row('Delete me'))
        self.confirm('Cancel')
        self.assertEqual(self.h.api('GET', '/campaigns/de-1')[0], 200,
                         'Cancel keeps it')

        self.click('Delete', self.row('Delete me'))
        self.confirm('OK')
        self.wait_for(lambda: not self.named('Delete me', self.main()),
                      'the row to go')
        self.assertEqual(self.h.api('GET', '/campaigns/de-1')[0], 404)

    # -- the buttons each state allows ----------------------------------------

    def test_buttons_by_state(self):
        self.basics('bs', contacts=0)
        for status in ENABLED:
            self.campaign('bs-' + status, 'State ' + status, 'bs-f', 'bs-g')
            if status != 'pending':
                self.set_status('bs-' + status, status)
        self.open('campaigns', heading='Marketing campaigns')
        for status, want in ENABLED.items():
            with self.subTest(status=status):
                row = self.row('State ' + status)
                self.assertIn(SHOWN[status], row.text)
                self.assertEqual(self.row_buttons('State ' + status), want)

    # -- markup in a name ---------------------------------------------------

    def test_markup_name(self):
        name = '<img src=x onerror=window.__xss=1>'
        self.basics('xs', contacts=1)
        self.open('campaigns', heading='Marketing campaigns')
        self.click('Create an event')
        dlg = self.dialog()
        start = (int(time.time()) // 60 + 24 * 60) * 60
        self.fill_dialog(dlg, name, ('xs-f',), ('xs-g',), start, start + 86400)
        self.click('OK', dlg)
        self.no_dialog()

        # shown as those very characters, no element made of them
        row = self.row(name)
        self.assertEqual(row.find_elements(By.TAG_NAME, 'img'), [])
        self.assertIsNone(self.d.execute_script('return window.__xss'))
        found = [c for c in self.items('flow_id=xs-f')]
        self.assertEqual([c['name'] for c in found], [name])

        # the detail page shows it as text too
        self.open('campaigns/' + found[0]['id'])
        self.wait_for(lambda: self.named(name, self.main()),
                      'the name on the detail page')
        self.assertEqual(self.main().find_elements(By.TAG_NAME, 'img'), [])
        self.assertIsNone(self.d.execute_script('return window.__xss'))
        # and nothing of it went to the provider: it is pending, and
        # showing it ran nothing
        self.assertEqual(self.sent_for(found[0]['id']), [])

    # -- Modify a paused campaign --------------------------------------------

    def test_modify_paused(self):
        self.basics('mo')
        self.campaign('mo-1', 'Modify me', 'mo-f', 'mo-g')
        self.set_status('mo-1', 'paused')
        before = self.h.api_ok('GET', '/campaigns/mo-1')
        self.open('campaigns', heading='Marketing campaigns')
        self.click('Modify', self.row('Modify me'))
        dlg = self.dialog()
        # the dialog holds what the store holds
        self.assertEqual(self.field('Activity Name', dlg).get_attribute('value'),
                         'Modify me')
        self.assertEqual(self.field('Related process', dlg)
                         .get_attribute('value'), 'mo-f')
        # a paused campaign goes on with a new start time: it is pending again
        start = (int(time.time()) // 60 + 3 * 24 * 60) * 60
        self.fill(self.field('Activity Name', dlg), 'Modified')
        self.fill(self.field('Start time', dlg), self.local_input(start))
        self.fill(self.field('End time', dlg), self.local_input(start + 7200))
        self.click('OK', dlg)
        self.no_dialog()
        self.wait_for(lambda: 'To be executed' in self.row('Modified').text,
                      'the row to say To be executed')
        after = self.h.api_ok('GET', '/campaigns/mo-1')
        self.assertEqual((after['name'], after['status'], after['start_time'],
                          after['end_time']),
                         ('Modified', 'pending', rfc3339(start),
                          rfc3339(start + 7200)))
        self.assertEqual(after['version'], before['version'] + 1)

    # -- paging: newest first, Next page / Previous page ----------------------

    def test_paging(self):
        # more than any page: the API's default limit is 50
        self.basics('pg', contacts=0)
        for i in range(55):
            self.campaign('pg-%02d' % i, 'Page %02d' % i, 'pg-f', 'pg-g')
        # the API's order, newest first
        order = [c['name'] for c in self.items('flow_id=pg-f')]
        self.assertEqual(order[0], 'Page 54')

        self.open('campaigns', heading='Marketing campaigns')
        self.choose(self.field('Related process', self.main()), 'pg-f')
        first = self.wait_for(lambda: (lambda l: l if l and l[0] == 'Page 54'
                                       else None)(self.shown_list(order)),
                              'the first page of pg-f')
        seen = list(first)
        while self.button('Next page').is_enabled():
            self.button('Next page').click()
            # each page: the rows after the last one shown, none twice
            self.wait_for(lambda: (self.shown_list(order) or [None])[0] ==
                          order[len(seen)], 'the page after %s' % seen[-1])
            seen += self.shown_list(order)
        self.assertEqual(seen, order, 'every campaign once, newest first')

        # Previous page walks back to exactly the first page
        while self.button('Previous page').is_enabled():
            top = self.shown_list(order)[0]
            self.button('Previous page').click()
            self.wait_for(lambda: (self.shown_list(order) or [top])[0] != top,
                          'the page before the one starting %s' % top)
        self.assertEqual(self.shown_list(order), first)

    def test_long_page_windowed(self):
        # 1000 rows per page: the list holds every campaign of the page but
        # keeps only those near the view in the DOM, and scrolls to the last
        self.basics('lp', contacts=0)
        for i in range(150):
            self.campaign('lp-%03d' % i, 'Long %03d' % i, 'lp-f', 'lp-g')
        order = [c['name'] for c in self.items('flow_id=lp-f')]
        self.assertEqual(len(order), 150)

        self.open('campaigns', heading='Marketing campaigns')
        self.choose(self.field('Related process', self.main()), 'lp-f')
        self.choose(self.field('Rows per page', self.main()), '1000')
        table = self.wait_for(lambda: (lambda t: t if t.get_attribute(
            'data-items') == '150' else None)(self.main().find_element(
                By.TAG_NAME, 'table')), 'a page of all 150 campaigns')
        self.assertEqual(self.shown_list(order)[0], 'Long 149',
                         'newest first, the first row in view')
        in_dom = len(table.find_elements(By.XPATH, './/tbody/tr[.//button]'))
        self.assertLess(in_dom, 150, 'only the rows near the view are built')
        self.assertFalse(self.named('Long 000'), 'the last is not built yet')
        self.assertFalse(self.button('Next page').is_enabled())

        box = table.find_element(By.XPATH, './ancestor::div[1]')
        self.d.execute_script(
            'arguments[0].scrollTop = arguments[0].scrollHeight', box)
        self.wait_for(lambda: self.named('Long 000'),
                      'the last campaign after scrolling to the end')
        self.assertEqual(self.row_buttons('Long 000')['Delete'], True)

    # -- a campaign's detail: its funnel, its ledger, the CSV ---------------

    def test_detail_funnel_ledger_csv(self):
        # a real run: campaignd sends to three contacts through the mock
        self.basics('dt', contacts=3)
        self.campaign('dt-1', 'Detail me', 'dt-f', 'dt-g',
                      start=int(time.time()) + 2, end=time.time() + 3600)
        stats = wait_until(
            lambda: (lambda s: s if s.get('sent') == 3 else None)(
                self.h.api_ok('GET', '/campaigns/dt-1/stats')), 20,
            what='dt-1 sent to its three contacts')
        self.assertEqual(len(self.sent_for('dt-1')), 3)
        ledger = self.h.api_ok('GET', '/campaigns/dt-1/messages')['items']
        self.assertEqual(len(ledger), 3)

        self.open('campaigns/dt-1', heading='Marketing campaigns')
        # the funnel: each counter beside its number, as the API counts it
        # (all runs, and run 1: the same here)
        for name in ('targeted', 'sent', 'delivered', 'read', 'replied',
                     'failed', 'skipped'):
            counts = self.wait_for(lambda: [
                m.group(1) for m in (re.fullmatch(
                    r'%s\s+([\d,]+)' % name,
                    el.find_element(By.XPATH, '..').text.strip())
                    for el in self.named(name, self.main())) if m],
                'the counter %s with its number' % name)
            self.assertEqual(set(counts), {str(stats.get(name, 0))}, name)

        # the ledger, all of it, then only failed ones: none here
        contacts = [m['contact_id'] for m in ledger]
        self.wait_for(lambda: all(self.named(c, self.main())
                                  for c in contacts), 'the three messages')
        status = self.wait_for(lambda: [s for s in self.d.find_elements(
            By.CSS_SELECTOR, 'main select') if s.find_elements(
            By.CSS_SELECTOR, "option[value=failed]")], 'a status filter')[0]
        self.choose(status, 'failed')
        self.wait_for(lambda: not any(self.named(c, self.main())
                                      for c in contacts), 'no failed message')
        self.choose(status, 'sent')
        self.wait_for(lambda: all(self.named(c, self.main())
                                  for c in contacts), 'the three sent')

        # the CSV it saves holds the API's ledger
        where = self.h.path('downloads')
        os.makedirs(where, exist_ok=True)
        self.d.execute_cdp_cmd('Browser.setDownloadBehavior',
                               {'behavior': 'allow', 'downloadPath': where})
        self.click('Download CSV', self.main())
        name = wait_until(lambda: [f for f in os.listdir(where)
                                   if f.endswith('.csv')], 10,
                          what='the CSV downloaded')[0]
        with open(os.path.join(where, name), encoding='utf-8-sig') as f:
            rows = list(csv.DictReader(f))
        self.assertEqual({(r['id'], r['contact_id'], r['status']) for r in rows},
                         {(m['id'], m['contact_id'], m['status'])
                          for m in ledger})
