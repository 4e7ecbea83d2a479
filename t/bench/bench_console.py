#!/usr/bin/python3
"""The console's two figures, each beside its baseline, as make bench table
rows (run by bench_console.sh, which run.sh runs):

1. its total transfer with gzip: the gzip-compressed bytes of index.html and
   of every script and style it loads (the module graph, read from the files
   and from what the browser fetched on each page), through nginx with
   `gzip on`, beside the 150 KB target;
2. the time headless Chromium takes to render 1,000 campaigns -- from the
   list's request to its first screen of rows laid out, the list holding
   all 1,000 (it is windowed: only the rows in and near its scrolled view
   are in the DOM, campaigns.js windowRows) -- beside the API's own time for
   the same GET /api/campaigns?limit=1000: curl's, and the same request's
   as the page saw it (resource timing). Target: within 2x.

The console asks for a page of its own size; to have it draw 1,000 rows the
benchmark raises the `limit` of that one request (a fetch wrapper injected
with DevTools before the page's scripts run). Everything else is the page's
own code. Each run checks that the list holds every item (its table's
data-items), that its rows fill the list's visible box, and that scrolling
the box to its end shows the last campaign. A third row: the page the
console itself asks for (its own page size, drawn whole).
Medians of BENCH_CONSOLE_RUNS runs (default 5).

BENCH_CONSOLE_DIR: serve the console's files from that directory (by alias,
with the module's own headers) instead of the module's compiled-in copy, to
measure a console not yet built into the module.

Usage: bench_console.py NGINX MODULE WORKDIR PORT
"""

import gzip
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

NGINX, MODULE, WORK, PORT = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
BASE = 'http://127.0.0.1:%d' % PORT
N = int(os.environ.get('BENCH_CONSOLE_CAMPAIGNS', '1000'))
RUNS = int(os.environ.get('BENCH_CONSOLE_RUNS', '5'))
TARGET_KB = 150.0

CONF = '''load_module %(module)s;
worker_processes 1;
error_log %(work)s/error.log warn;
pid %(work)s/nginx.pid;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path %(work)s/body;
    campaign_store %(work)s/store;
    gzip on;
    gzip_types text/css application/javascript text/javascript;
    server {
        listen 127.0.0.1:%(port)d;
        location /api/ { campaign_api write=on; }
%(console)s
    }
}
'''
CONSOLE_BUILT_IN = 'location /console/ { campaign_console api=/api/; }'
# the module's headers for its console (ngx_http_campaign_console.c)
CONSOLE_ALIAS = '''
        location /console/ {
            alias %(dir)s/;
            types { text/html html; text/css css; application/javascript js; }
            add_header Content-Security-Policy "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
            add_header X-Content-Type-Options nosniff;
            add_header Cache-Control no-cache;
        }
        location = /console/config.json {
            default_type application/json;
            return 200 '{"api":"/api/"}';
        }'''
CONSOLE_DIR = os.environ.get('BENCH_CONSOLE_DIR')


def http(method, path, body=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    h = dict(headers or {})
    if data is not None:
        h['Content-Type'] = 'application/json'
    req = urllib.request.Request(BASE + path, data=data, method=method,
                                 headers=h)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def ok(method, path, body=None):
    status, _, raw = http(method, path, body)
    if status >= 300:
        raise SystemExit('%s %s: %d %s' % (method, path, status, raw[:300]))


def seed():
    ok('POST', '/api/channels', {
        'id': 'bcc', 'name': 'bench', 'type': 'whatsapp',
        'whatsapp': {'waba_id': '1', 'phone_number_id': '2',
                     'access_token': 't'}})
    ok('POST', '/api/groups', {'id': 'bcg', 'name': 'bench group'})
    ok('POST', '/api/flows', {
        'id': 'bcf', 'name': 'bench flow', 'trigger': 'manual',
        'definition': {'start': 's', 'nodes': [
            {'id': 's', 'type': 'send_whatsapp', 'channel_id': 'bcc',
             'message': {'type': 'text', 'text': 'hi'}, 'next': 'e'},
            {'id': 'e', 'type': 'end'}]}})
    ok('POST', '/api/flows/bcf/publish')
    t = time.time() + 86400
    fmt = lambda s: time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(s))

    def one(i):
        ok('POST', '/api/campaigns', {
            'name': 'Bench campaign %04d' % i,
            'description': 'one of %d' % N, 'flow_id': 'bcf',
            'group_id': 'bcg', 'start_time': fmt(t + i),
            'end_time': fmt(t + 86400 + i),
            'execution_plan': {'unit': 'hour', 'every': 6}})
    # concurrent creates share the group commit's fsyncs
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(one, range(N)))


# -- 1. transfer -----------------------------------------------------------

def crawl():
    """index.html, what it links, and every module those import."""
    seen, todo = [], ['/console/']
    while todo:
        path = todo.pop(0)
        if path in seen:
            continue
        seen.append(path)
        _, _, raw = http('GET', path)
        text = raw.decode('utf-8', 'replace')
        refs = []
        if path.endswith('/'):
            refs += re.findall(r'<(?:script|link)\b[^>]*?(?:src|href)="([^"]+)"',
                               text)
        refs += re.findall(r'''(?:\bimport|\bfrom)\s*\(?\s*['"](\./[^'"]+)['"]''',
                           text)
        for ref in refs:
            if not ref.startswith(('data:', 'http:', 'https:', '//', '/')):
                todo.append('/console/' + ref[2:] if ref.startswith('./')
                            else '/console/' + ref)
    return seen


def transfer(browser_paths):
    paths = crawl()
    paths += [p for p in browser_paths if p not in paths]
    total = raw_total = 0
    plain = []
    for p in paths:
        status, hdr, body = http('GET', p, headers={'Accept-Encoding': 'gzip'})
        if status != 200:
            raise SystemExit('GET %s: %d' % (p, status))
        total += len(body)
        if hdr.get('Content-Encoding') == 'gzip':
            raw_total += len(gzip.decompress(body))
        else:
            raw_total += len(body)
            plain.append(p.rsplit('/', 1)[-1] or 'index.html')
    return total, raw_total, len(paths), plain


# -- 2. render ---------------------------------------------------------------

# runs in the page before its own scripts: the campaigns list request asks
# for `limit` items (0: as many as the console asks), and the moment the
# list holds that many (its table's data-items) with its first rows in the
# DOM, laid out, is recorded
INJECT = r'''
(() => {
  const LIMIT = Number(sessionStorage.getItem('bench-limit') || 0);
  window.__bench = {};
  const orig = window.fetch;
  window.fetch = function (input, init) {
    let url = typeof input === 'string' ? input : input.url;
    if (/\/api\/campaigns\?/.test(url) && !/\/api\/campaigns\/[^?]/.test(url)
        && window.__bench.t0 === undefined) {
      const u = new URL(url, location.href);
      if (LIMIT) u.searchParams.set('limit', String(LIMIT));
      window.__bench.want = Number(u.searchParams.get('limit') || 50);
      window.__bench.url = u.pathname + u.search;
      window.__bench.t0 = performance.now();
      input = u.toString();
    }
    return orig.call(this, input, init);
  };
  const rows = () => [...document.querySelectorAll('main button')]
    .filter(b => b.textContent.trim() === 'Delete').length;
  new MutationObserver((_, obs) => {
    const list = document.querySelector('main table[data-items]');
    if (window.__bench.t0 === undefined || !list
        || Number(list.dataset.items) < window.__bench.want || !rows())
      return;
    window.__bench.tdom = performance.now();
    document.body.offsetHeight;            // style and layout, now
    window.__bench.t1 = performance.now();
    window.__bench.items = Number(list.dataset.items);
    window.__bench.rows = rows();
    obs.disconnect();
  }).observe(document, {childList: true, subtree: true});
})();
'''

# after the render: do the rows in the DOM fill the list's visible box
# (or is every row there)?
FILLED = r'''
const list = document.querySelector('main table[data-items]');
const wrap = list.closest('.table-wrap');
const rows = [...list.tBodies[0].rows].filter(r => r.querySelector('button'));
if (rows.length === Number(list.dataset.items)) return '';
const first = rows.length && rows[0].getBoundingClientRect();
const last = rows.length && rows[rows.length - 1].getBoundingClientRect();
const head = list.tHead.getBoundingClientRect().bottom;
const bottom = Math.min(wrap.getBoundingClientRect().top + wrap.clientTop
  + wrap.clientHeight, window.innerHeight);
return rows.length && first.top <= head + 1 && last.bottom >= bottom - 1 ? ''
  : `${rows.length} rows from ${first.top} to ${last.bottom}, the header `
    + `ending at ${head} and the box at ${bottom}`;
'''

# scrolls the list's box to its end; returns the names its last rows show
SCROLL_END = r'''
const list = document.querySelector('main table[data-items]');
const wrap = list.closest('.table-wrap');
wrap.scrollTop = wrap.scrollHeight;
window.scrollTo(0, document.body.scrollHeight);
'''
LAST_NAMES = r'''
const list = document.querySelector('main table[data-items]');
const box = list.closest('.table-wrap').getBoundingClientRect();
return [...list.tBodies[0].rows].filter(r => {
  const b = r.getBoundingClientRect();
  return r.querySelector('button') && b.bottom > box.top && b.top < box.bottom;
}).map(r => r.cells[0].querySelector('a').textContent);
'''


def chromium(profile):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    opts.binary_location = os.environ.get('CHROMIUM', '/usr/bin/chromium')
    for f in ('--headless=new', '--no-sandbox', '--disable-gpu',
              '--disable-dev-shm-usage', '--no-first-run',
              '--disable-background-networking', '--disable-component-update',
              '--disable-sync', '--window-size=1400,1000',
              '--user-data-dir=' + profile):
        opts.add_argument(f)
    opts.set_capability('goog:loggingPrefs', {'browser': 'ALL'})
    return webdriver.Chrome(service=Service('/usr/bin/chromedriver'),
                            options=opts)


def render(driver, limit, last_name):
    """Medians of: request to first rows laid out, the request alone (the
    page's resource timing), request to rows in the DOM; the rows in the
    DOM; and the list's URL. Each run checks the list holds every item,
    fills its box, and shows last_name when scrolled to its end."""
    from selenium.webdriver.support.ui import WebDriverWait
    times, fetches, doms, in_dom, url = [], [], [], [], None
    for _ in range(RUNS + 1):              # the first run warms the cache
        driver.get(BASE + '/console/config.json')
        driver.execute_script("sessionStorage.setItem('bench-limit', "
                              "arguments[0])", str(limit))
        driver.get(BASE + '/console/#/campaigns')
        b = WebDriverWait(driver, 60, 0.05).until(
            lambda d: d.execute_script(
                'return window.__bench && window.__bench.t1 !== undefined'
                ' && window.__bench'), 'waiting for the rows')
        times.append(b['t1'] - b['t0'])
        doms.append(b['tdom'] - b['t0'])
        in_dom.append(b['rows'])
        url = b['url']
        if b['items'] != b['want']:
            raise SystemExit('the list holds %d items, not %d'
                             % (b['items'], b['want']))
        gap = driver.execute_script(FILLED)
        if gap:
            raise SystemExit('the rows in the DOM do not fill the list: ' + gap)
        # the list's own request, as the browser's resource timing saw it
        fetches.append(driver.execute_script(
            "const e = performance.getEntriesByType('resource')"
            "  .filter(r => r.name.endsWith(arguments[0]));"
            "return e.length ? e[0].responseEnd - arguments[1] : null;",
            url, b['t0']) or 0)
        driver.execute_script(SCROLL_END)
        WebDriverWait(driver, 10, 0.05).until(
            lambda d: last_name in d.execute_script(LAST_NAMES),
            'waiting for %r at the end of the list' % last_name)
    return (statistics.median(times[1:]), statistics.median(fetches[1:]),
            statistics.median(doms[1:]), max(in_dom), url)


def browser_paths(driver):
    """Every /console/ file the browser fetched, page by page."""
    seen = set()
    for page in ('campaigns', 'groups', 'contacts', 'flows', 'channels'):
        driver.get(BASE + '/console/#/' + page)
        time.sleep(0.5)   # a benchmark, not a test: let each page settle
        for e in driver.execute_script(
                "return performance.getEntriesByType('resource')"
                ".map(r => new URL(r.name).pathname)"):
            if e.startswith('/console/') and not e.endswith('config.json'):
                seen.add(e)
    return sorted(seen)


def api_time(url):
    """curl's time for the list, its size and items."""
    _, _, raw = http('GET', url)
    size, items = len(raw), json.loads(raw)['items']
    times = []
    for _ in range(RUNS + 1):
        out = subprocess.run(['curl', '-s', '-o', '/dev/null', '-w',
                              '%{time_total}', BASE + url],
                             capture_output=True, text=True, check=True)
        times.append(float(out.stdout) * 1000)
    return statistics.median(times[1:]), size, items



def row(name, figure, baseline, ratio, note):
    print('%-44s %12s %18s %11s %s' % (name, figure, baseline, ratio, note))


def main():
    os.makedirs(WORK + '/store', exist_ok=True)
    with open(WORK + '/nginx.conf', 'w') as f:
        f.write(CONF % {'module': MODULE, 'work': WORK, 'port': PORT,
                        'console': CONSOLE_ALIAS % {'dir': CONSOLE_DIR}
                        if CONSOLE_DIR else CONSOLE_BUILT_IN})
    subprocess.run([NGINX, '-p', WORK + '/', '-c', WORK + '/nginx.conf'],
                   check=True)
    profile = tempfile.mkdtemp(prefix='chromium-', dir=WORK)
    driver = None
    try:
        for _ in range(100):
            try:
                if http('GET', '/api/health')[0] in (200, 503):
                    break
            except OSError:
                time.sleep(0.1)
        seed()
        driver = chromium(profile)
        seen = browser_paths(driver)
        total, raw_total, files, plain = transfer(seen)
        kb = total / 1024.0
        row('console transfer, gzip (KB)', '%.1f' % kb,
            '%.0f (target)' % TARGET_KB, '%.2fx' % (kb / TARGET_KB),
            'target <= 1x; %d files, %.1f KB unzipped%s'
            % (files, raw_total / 1024.0,
               '; NOT gzipped: ' + ' '.join(plain) if plain else ''))
        driver.execute_cdp_cmd('Page.addScriptToEvaluateOnNewDocument',
                               {'source': INJECT})
        # 1,000 rows, and the page the console itself asks for
        for limit in (N, 0):
            q = '?limit=%d' % limit if limit else '?limit=20'
            _, _, raw = http('GET', '/api/campaigns' + q)
            last = json.loads(raw)['items'][-1]['name']
            ms, fetch, dom, rows, url = render(driver, limit, last)
            api, size, items = api_time(url)
            if limit and len(items) != N:
                raise SystemExit('%s: %d items, not %d' % (url, len(items), N))
            row(('render %d campaigns in Chromium, ms' if limit else
                 'render a console page (%d) in Chromium, ms') % len(items),
                '%.1f' % ms,
                '%.1f curl; %.1f page' % (api, fetch),
                '%.0fx; %.1fx' % (ms / api if api else 0,
                                  ms / fetch if fetch else 0),
                'target <= 2x; %s, %.0f KB, %d rows in the DOM: '
                'in the DOM %.1f, laid out %.1f ms%s'
                % (url, size / 1024.0, rows, dom, ms,
                   '; last shown on scrolling' if limit else ''))
    finally:
        if driver is not None:
            driver.quit()
        subprocess.run([NGINX, '-p', WORK + '/', '-c', WORK + '/nginx.conf',
                        '-s', 'stop'])
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == '__main__':
    main()
