#!/usr/bin/python3
"""The console's two figures, each beside its baseline, as make bench table
rows (run by bench_console.sh, which run.sh runs):

1. its total transfer with gzip: the gzip-compressed bytes of index.html and
   of every script and style it loads (the module graph, read from the files
   and from what the browser fetched on each page), through nginx with
   `gzip on`, beside the 150 KB target;
2. the time headless Chromium takes to render 1,000 campaigns -- from the
   list's request to 1,000 rows laid out in the DOM -- beside the API's own
   time for the same GET /api/campaigns?limit=1000 (curl). Target: within 2x.

The console asks for a page of its own size; to have it draw 1,000 rows the
benchmark raises the `limit` of that one request (a fetch wrapper injected
with DevTools before the page's scripts run). Everything else is the page's
own code. A third row: the page the console itself asks for (its own page
size), beside the API's time for that page. Medians of BENCH_CONSOLE_RUNS
runs (default 5).

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
        location /console/ { campaign_console api=/api/; }
    }
}
'''


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
# for `limit` items (0: as many as the console asks), and the moment that
# many rows are in the DOM, laid out, is recorded
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
    if (window.__bench.t0 === undefined || rows() < window.__bench.want)
      return;
    window.__bench.tdom = performance.now();
    document.body.offsetHeight;            // style and layout, now
    window.__bench.t1 = performance.now();
    obs.disconnect();
  }).observe(document, {childList: true, subtree: true});
})();
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


def render(driver, limit):
    """Medians of: request to rows laid out, the request alone, request
    to rows in the DOM; and the list's URL."""
    from selenium.webdriver.support.ui import WebDriverWait
    times, fetches, doms, url = [], [], [], None
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
        url = b['url']
        # the list's own request, as the browser's resource timing saw it
        fetches.append(driver.execute_script(
            "const e = performance.getEntriesByType('resource')"
            "  .filter(r => r.name.endsWith(arguments[0]));"
            "return e.length ? e[0].responseEnd - arguments[1] : null;",
            url, b['t0']) or 0)
    return (statistics.median(times[1:]), statistics.median(fetches[1:]),
            statistics.median(doms[1:]), url)


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
    """curl's time for the list, its size and item count."""
    _, _, raw = http('GET', url)
    size, items = len(raw), len(json.loads(raw)['items'])
    times = []
    for _ in range(RUNS + 1):
        out = subprocess.run(['curl', '-s', '-o', '/dev/null', '-w',
                              '%{time_total}', BASE + url],
                             capture_output=True, text=True, check=True)
        times.append(float(out.stdout) * 1000)
    return statistics.median(times[1:]), size, items



def row(name, figure, baseline, ratio, note):
    print('%-44s %12s %14s %9s %s' % (name, figure, baseline, ratio, note))


def main():
    os.makedirs(WORK + '/store', exist_ok=True)
    with open(WORK + '/nginx.conf', 'w') as f:
        f.write(CONF % {'module': MODULE, 'work': WORK, 'port': PORT})
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
            ms, fetch, dom, url = render(driver, limit)
            api, size, items = api_time(url)
            if limit and items != N:
                raise SystemExit('%s: %d items, not %d' % (url, items, N))
            row(('render %d campaigns in Chromium, ms' if limit else
                 'render a console page (%d) in Chromium, ms') % items,
                '%.1f' % ms,
                '%.1f (API GET)' % api, '%.2fx' % (ms / api if api else 0),
                'target <= 2x; %s, %.0f KB: fetched %.1f, in the DOM %.1f, '
                'laid out %.1f ms' % (url, size / 1024.0, fetch, dom, ms))
    finally:
        if driver is not None:
            driver.quit()
        subprocess.run([NGINX, '-p', WORK + '/', '-c', WORK + '/nginx.conf',
                        '-s', 'stop'])
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == '__main__':
    main()
