// The CloudFront function of infra/template.yaml (PrettyUrlFunction), run
// in node on the cases it must get right: directory URLs, the redirect to
// the slash form with its query string, and paths that start with several
// slashes, which must never redirect to another site.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const template = fs.readFileSync(path.join(here, '../../infra/template.yaml'), 'utf8');
const block = template.split('PrettyUrlFunction:')[1].split('FunctionCode: |\n')[1];
// The block scalar: every line indented more than `FunctionCode:`.
const lines = [];
for (const line of block.split('\n')) {
  if (line.trim() !== '' && !line.startsWith('        ')) break;
  lines.push(line.slice(8));
}
const handler = new Function(`${lines.join('\n')}\nreturn handler;`)();

const run = (uri, querystring = {}) => handler({ request: { uri, querystring } });

test('directory URLs are served from their index.html', () => {
  assert.equal(run('/').uri, '/index.html');
  assert.equal(run('/fr/groupes/').uri, '/fr/groupes/index.html');
  assert.equal(run('/css/site.1234.css').uri, '/css/site.1234.css');
});

test('a URL without its slash is redirected to it, keeping the query', () => {
  const r = run('/groups/forming', { a: { value: '1' }, b: { value: 'x', multiValue: [{ value: 'x' }, { value: 'y' }] } });
  assert.equal(r.statusCode, 301);
  assert.equal(r.headers.location.value, '/groups/forming/?a=1&b=x&b=y');
});

test('paths with several leading slashes stay on this site', () => {
  for (const uri of ['//evil.example/x', '///evil.example', '//evil.example']) {
    const r = run(uri);
    if (r.statusCode) {
      const location = r.headers.location.value;
      assert.ok(location.startsWith('/') && !location.startsWith('//'), `${uri} → ${location}`);
    } else {
      assert.ok(!r.uri.startsWith('//'), `${uri} → ${r.uri}`);
    }
  }
  assert.equal(run('//evil.example/x').headers.location.value, '/evil.example/x/');
  assert.equal(run('//fr/').uri, '/fr/index.html');
});
