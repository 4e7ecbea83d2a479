"""The console's HTTP answers, with plain HTTP (no browser): a strict CSP,
nosniff, frame-ancestors 'none', ETag and Cache-Control, 304 on
If-None-Match, the types ES modules need, and config.json naming the API."""

import gzip
import json
import re
import urllib.error
import urllib.request

from ui import ConsoleTest


def get(url, headers=None):
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def assets(h, prefix='/console/'):
    """index.html and every file it links, and every module those import
    (relative imports), as URLs."""
    seen = []
    todo = [h.url(prefix)]
    while todo:
        url = todo.pop(0)
        if url in seen:
            continue
        seen.append(url)
        _, _, body = get(url)
        text = body.decode('utf-8', 'replace')
        refs = re.findall(r'<(?:script|link)\b[^>]*?(?:src|href)="([^"]+)"',
                          text) if url.endswith('/') else []
        refs += re.findall(r'''(?:\bimport|\bfrom)\s*\(?\s*['"](\./[^'"]+)['"]''',
                           text)
        for ref in refs:
            if ref.startswith(('data:', 'http:', 'https:', '//')):
                continue
            todo.append(h.url(prefix) + ref.lstrip('./'))
    return seen


class Headers(ConsoleTest):
    browser = False

    def test_console_headers(self):
        urls = assets(self.h)
        self.assertGreaterEqual(len(urls), 3, urls)   # page, script, style
        for url in urls:
            with self.subTest(url=url):
                status, hdr, body = get(url)
                self.assertEqual(status, 200)
                csp = hdr.get('Content-Security-Policy') or ''
                self.assertRegex(csp, r"default-src 'self'")
                self.assertRegex(csp, r"script-src 'self'")
                self.assertNotIn('unsafe-inline', csp)
                self.assertNotIn('unsafe-eval', csp)
                self.assertRegex(csp, r"frame-ancestors 'none'")
                self.assertEqual(hdr.get('X-Content-Type-Options'), 'nosniff')
                self.assertTrue(hdr.get('Cache-Control'), 'Cache-Control')
                etag = hdr.get('ETag')
                self.assertTrue(etag, 'ETag')
                # nosniff: a module script needs a JavaScript type
                kind = {'js': ('text/javascript', 'application/javascript'),
                        'css': ('text/css',)}.get(url.rsplit('.', 1)[-1],
                                                  ('text/html',))
                self.assertTrue((hdr.get('Content-Type') or '')
                                .startswith(kind), hdr.get('Content-Type'))

                status, hdr2, body2 = get(url, {'If-None-Match': etag})
                self.assertEqual(status, 304)
                self.assertEqual(body2, b'')
                status, _, body3 = get(url, {'If-None-Match': '"other"'})
                self.assertEqual((status, body3), (200, body))

    def test_console_gzip(self):
        """nginx's gzip filter applies to the console's files, and a
        compressed copy is revalidated like the plain one."""
        for url in assets(self.h):
            with self.subTest(url=url):
                _, plain, body = get(url)
                status, hdr, zipped = get(url, {'Accept-Encoding': 'gzip'})
                self.assertEqual(status, 200)
                self.assertEqual(hdr.get('Content-Encoding'), 'gzip')
                self.assertEqual(gzip.decompress(zipped), body)
                self.assertTrue(hdr.get('ETag'))
                status, _, _ = get(url, {'Accept-Encoding': 'gzip',
                                         'If-None-Match': hdr.get('ETag')})
                self.assertEqual(status, 304)

    def test_console_config(self):
        for prefix, api in (('/console/', '/api/'),
                            ('/ro-console/', '/ro-api/')):
            status, _, body = get(self.h.url(prefix + 'config.json'))
            self.assertEqual(status, 200)
            self.assertEqual(json.loads(body)['api'], api)
        status, _, _ = get(self.h.url('/console/no-such-file.js'))
        self.assertEqual(status, 404)
