"""The browser suite's world: one nginx (the module, the console, a write API,
a read-only API and a mock WhatsApp provider), one real campaignd on the same
store, and one headless Chromium driven by Selenium.

Everything lives in a fresh servroot under t/servroot-browser/; ports come
from BROWSER_TEST_PORT (default 1990, beside Test::Nginx's 1984): the server
on PORT, the mock provider on PORT + 1. Binaries come from the Makefile's
TEST_ENV variables, with build/ defaults.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))           # the repository
BUILD = os.path.join(ROOT, 'build')
CONSOLE_SRC = os.path.join(ROOT, 'ngx_module', 'console')
# serve the page files from this directory by alias instead of the module's
# compiled-in copy: for checking that the tests catch a broken console
CONSOLE_DIR = os.environ.get('BROWSER_TEST_CONSOLE_DIR')
SHOTS = os.path.join(BUILD, 'browser')

NGINX = os.environ.get('TEST_NGINX_BINARY', '/usr/sbin/nginx')
MODULE = (os.environ.get('TEST_NGINX_LOAD_MODULES', '').split() or
          [os.path.join(BUILD, 'ngx_http_campaign_module.so')])[0]
CAMPAIGND = os.environ.get('CAMPAIGND', os.path.join(BUILD, 'campaignd'))
STORECTL = os.environ.get('CMP_STORECTL', os.path.join(BUILD, 'cmp-storectl'))
PORT = int(os.environ.get('BROWSER_TEST_PORT', '1990'))
MOCK_PORT = PORT + 1

# the browser's time zone: not UTC, so that a console sending local times
# without their offset is caught
BROWSER_TZ = os.environ.get('BROWSER_TEST_TZ', 'Asia/Shanghai')

CHROME_FLAGS = ['--headless=new', '--no-sandbox', '--disable-gpu',
                '--disable-dev-shm-usage', '--no-first-run',
                '--disable-background-networking',
                '--disable-component-update', '--disable-sync',
                '--window-size=1400,1000']


def wait_until(cond, timeout=10.0, interval=0.05, what='condition'):
    """Polls cond() until it returns something true or the deadline passes;
    returns that value, or raises AssertionError naming what was awaited."""
    end = time.monotonic() + timeout
    while True:
        r = cond()
        if r:
            return r
        if time.monotonic() >= end:
            raise AssertionError('timed out after %.1fs waiting for %s'
                                 % (timeout, what))
        time.sleep(interval)


def holds_for(cond, seconds, interval=0.1):
    """True when cond() stays true for the whole window: how a test sees
    that something did NOT happen (no new provider request)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if not cond():
            return False
        time.sleep(interval)
    return bool(cond())


def nginx_conf(servroot, console_directive):
    """The test nginx: the module, its store, the write and read-only APIs
    with a console each, and the mock WhatsApp Cloud API (it answers like
    Graph API and logs uri|authorization|body of every request it got,
    as t/061-dispatch.t's mock does)."""
    if console_directive:
        console = '''
        location /console/ { campaign_console api=/api/; }
        location /ro-console/ { campaign_console api=/ro-api/; }'''
    else:
        # until the directive is in the module: the same files, by alias
        console = '''
        location /console/ {
            alias %(src)s/;
            add_header Content-Security-Policy "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
        }
        location = /console/config.json {
            default_type application/json;
            return 200 '{"api":"/api/"}';
        }
        location /ro-console/ {
            alias %(src)s/;
            add_header Content-Security-Policy "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
        }
        location = /ro-console/config.json {
            default_type application/json;
            return 200 '{"api":"/ro-api/"}';
        }''' % {'src': CONSOLE_DIR or CONSOLE_SRC}

    user = 'user root;\n' if os.geteuid() == 0 else ''
    return '''load_module %(module)s;
%(user)sworker_processes 1;
daemon off;
master_process on;
error_log %(root)s/error.log info;
pid %(root)s/nginx.pid;
events { worker_connections 256; }
http {
    types {
        text/html html; text/css css; application/javascript js;
        image/svg+xml svg; application/json json;
    }
    default_type application/octet-stream;
    log_format api '$request_method $request_uri $status';
    access_log %(root)s/access.log api;
    client_body_temp_path %(root)s/client_body_temp;
    proxy_temp_path %(root)s/proxy_temp;
    fastcgi_temp_path %(root)s/fastcgi_temp;
    uwsgi_temp_path %(root)s/uwsgi_temp;
    scgi_temp_path %(root)s/scgi_temp;
    campaign_store %(root)s/store;
    # the console's files go through nginx's gzip filter (test_headers)
    gzip on;
    gzip_types text/css text/javascript application/javascript;
    log_format mock escape=none '$request_uri|$http_authorization|$request_body';

    server {
        listen 127.0.0.1:%(port)d;
        location /api/ { campaign_api write=on; }
        location /ro-api/ { campaign_api; }%(console)s
    }

    # the mock WhatsApp Cloud API: POST {base}/{phone_number_id}/messages
    server {
        listen 127.0.0.1:%(mock)d;
        location /wa/ {
            access_log %(root)s/mock.log mock;
            # proxying reads the body, so that the log line carries it
            rewrite ^ /answer/ok break;
            proxy_pass http://127.0.0.1:%(mock)d;
        }
        location = /answer/ok {
            access_log off;
            default_type application/json;
            return 200 '{"messaging_product":"whatsapp","contacts":[{"input":"x","wa_id":"x"}],"messages":[{"id":"wamid.$request_id"}]}';
        }
    }
}
''' % {'module': MODULE, 'user': user, 'root': servroot, 'port': PORT,
       'mock': MOCK_PORT, 'console': console}


def module_has_console_directive():
    """Whether the built module knows campaign_console: asked of nginx -t
    itself, not of the sources."""
    d = tempfile.mkdtemp(prefix='probe-', dir=os.path.join(ROOT, 't'))
    try:
        os.makedirs(d + '/store')
        conf = ('load_module %s;\nerror_log %s/error.log;\npid %s/nginx.pid;\n'
                'events {}\nhttp { campaign_store %s/store;\n'
                'client_body_temp_path %s/body;\n'
                'server { listen 127.0.0.1:%d; location /api/ { campaign_api; }\n'
                'location /c/ { campaign_console api=/api/; } } }\n'
                % (MODULE, d, d, d, d, PORT))
        with open(d + '/nginx.conf', 'w') as f:
            f.write(conf)
        r = subprocess.run([NGINX, '-t', '-p', d, '-c', d + '/nginx.conf'],
                           capture_output=True, text=True)
        if r.returncode == 0:
            return True
        if 'unknown directive "campaign_console"' in r.stderr:
            return False
        raise RuntimeError('nginx -t of the probe config failed:\n' + r.stderr)
    finally:
        shutil.rmtree(d, ignore_errors=True)


class Harness:
    """Starts and stops the servers and the browser; the tests reach them
    through api(), mock_lines(), storectl() and driver."""

    def __init__(self):
        self.servroot = None
        self.nginx = None
        self.campaignd = None
        self.driver = None
        self.directive = None
        self.base = 'http://127.0.0.1:%d' % PORT
        self.mock_base = 'http://127.0.0.1:%d/wa' % MOCK_PORT

    # -- lifecycle --------------------------------------------------------

    def start(self):
        for path in (NGINX, MODULE, CAMPAIGND, STORECTL):
            if not os.path.exists(path):
                raise RuntimeError('%s is missing: run "make all" first' % path)

        parent = os.path.join(ROOT, 't', 'servroot-browser')
        os.makedirs(parent, exist_ok=True)
        self.servroot = tempfile.mkdtemp(prefix='run-', dir=parent)
        os.chmod(self.servroot, 0o755)
        os.makedirs(self.store)
        os.makedirs(SHOTS, exist_ok=True)

        self.directive = not CONSOLE_DIR and module_has_console_directive()
        if not self.directive:
            sys.stderr.write('NOTE: not the module\'s campaign_console: the '
                             'console is served by alias from %s\n'
                             % (CONSOLE_DIR or CONSOLE_SRC))
        with open(self.path('nginx.conf'), 'w') as f:
            f.write(nginx_conf(self.servroot, self.directive))

        self.nginx = subprocess.Popen(
            [NGINX, '-p', self.servroot + '/', '-c', self.path('nginx.conf')],
            stdout=open(self.path('nginx.stdout'), 'w'),
            stderr=subprocess.STDOUT)
        wait_until(lambda: self._up(), 10, what='nginx to answer /api/health')

        # a plan's "minute" is 3 s, as in t/060: runs come quickly
        env = dict(os.environ, CAMPAIGND_TEST_MINUTE='3')
        self.campaignd = subprocess.Popen(
            [CAMPAIGND, '--store', self.store, '--log-file',
             self.path('campaignd.log'), '--log-level', 'debug'], env=env)
        wait_until(lambda: self.api('GET', '/health')[1]['scheduler']['alive'],
                   15, what="campaignd's heartbeat in /api/health")

        self.driver = self._chromium()

    def stop(self, keep=False):
        if self.driver is not None:
            try:
                self.driver.quit()
            except Exception:
                pass
            self.driver = None
        for proc in (self.campaignd, self.nginx):
            if proc is None or proc.poll() is not None:
                continue
            # campaignd: SIGTERM, 10 s for requests in flight; nginx: fast stop
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self.servroot and not keep:
            shutil.rmtree(self.servroot, ignore_errors=True)

    def _up(self):
        if self.nginx.poll() is not None:
            with open(self.path('nginx.stdout')) as f:
                raise RuntimeError('nginx exited %s: %s (is port %d free? '
                                   'BROWSER_TEST_PORT picks another)'
                                   % (self.nginx.returncode, f.read(), PORT))
        try:
            return self.api('GET', '/health')[0] == 200
        except OSError:
            return False

    def _chromium(self):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        opts = webdriver.ChromeOptions()
        opts.binary_location = os.environ.get('CHROMIUM', '/usr/bin/chromium')
        for flag in CHROME_FLAGS:
            opts.add_argument(flag)
        opts.add_argument('--user-data-dir=' + self.path('chromium-profile'))
        opts.set_capability('goog:loggingPrefs', {'browser': 'ALL'})
        service = Service(
            os.environ.get('CHROMEDRIVER', '/usr/bin/chromedriver'),
            log_path=self.path('chromedriver.log'),
            env=dict(os.environ, TZ=BROWSER_TZ))
        driver = webdriver.Chrome(service=service, options=opts)
        driver.set_page_load_timeout(20)
        driver.set_script_timeout(20)
        return driver

    # -- helpers for the tests --------------------------------------------

    @property
    def store(self):
        return os.path.join(self.servroot, 'store')

    def path(self, name):
        return os.path.join(self.servroot, name)

    def url(self, path):
        return self.base + path

    def api(self, method, path, body=None, prefix='/api', ctype=None):
        """One API call: (status, decoded JSON or None, headers)."""
        data = None
        headers = {}
        if body is not None:
            if isinstance(body, (bytes, str)):
                data = body.encode() if isinstance(body, str) else body
                headers['Content-Type'] = ctype or 'application/json'
            else:
                data = json.dumps(body).encode()
                headers['Content-Type'] = 'application/json'
        req = urllib.request.Request(self.base + prefix + path, data=data,
                                     method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                status, raw, hdrs = r.status, r.read(), r.headers
        except urllib.error.HTTPError as e:
            status, raw, hdrs = e.code, e.read(), e.headers
        try:
            doc = json.loads(raw) if raw else None
        except ValueError:
            doc = None
        return status, doc, hdrs

    def api_ok(self, method, path, body=None, expect=(200, 201, 204)):
        status, doc, _ = self.api(method, path, body)
        if status not in expect:
            raise AssertionError('%s %s: %s %s' % (method, path, status, doc))
        return doc

    def mock_lines(self):
        """What the mock provider received, one 'uri|auth|body' a request."""
        try:
            with open(self.path('mock.log'), encoding='utf-8',
                      errors='replace') as f:
                return [l for l in f.read().splitlines() if l.strip()]
        except FileNotFoundError:
            return []

    def access_lines(self):
        """The main server's access log: 'METHOD URI STATUS' lines."""
        try:
            with open(self.path('access.log')) as f:
                return f.read().splitlines()
        except FileNotFoundError:
            return []

    def storectl(self, *args):
        r = subprocess.run([STORECTL, self.store] + list(args),
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise AssertionError('cmp-storectl %s: %s' % (' '.join(args),
                                                          r.stderr))

    def alive(self):
        """Both servers still running (a test that crashed one fails)."""
        return (self.nginx.poll() is None and self.campaignd.poll() is None)


_current = None


def current():
    return _current


def set_current(h):
    global _current
    _current = h
