/**
 * Headless Chromium for the dashboard tests: the Debian `chromium` binary (CI installs it);
 * CHROMIUM_PATH overrides.
 */
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

function chromiumPath(): string {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  const candidates = [
    process.env.CHROMIUM_PATH,
    ...dirs.flatMap((d) => [join(d, 'chromium'), join(d, 'chromium-browser')]),
    '/usr/bin/chromium',
  ];
  const found = candidates.find((p): p is string => p !== undefined && existsSync(p));
  if (found === undefined) {
    throw new Error(
      'the dashboard test needs Chromium: install the Debian package (apt-get install chromium, ' +
        'which provides /usr/bin/chromium) or set CHROMIUM_PATH',
    );
  }
  return found;
}

/** Starts headless Chromium. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    args: ['--no-sandbox', '--headless=new'],
  });
}
