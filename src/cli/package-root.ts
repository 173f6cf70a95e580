/** Where this package is installed, found from the running file: the same answer for src/cli (tests),
 * dist-lib/cli (tsc's output) and the bundle in dist-lib/bin, in a checkout or under node_modules. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'h264mux';

interface PackageJson {
  readonly name: string;
  readonly version: string;
}

let found: { root: string; json: PackageJson } | undefined;

function find(): { root: string; json: PackageJson } {
  const here = fileURLToPath(import.meta.url);
  for (let dir = dirname(here); ;) {
    let json: PackageJson | undefined;
    try {
      json = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;
    } catch {
      // No (readable) package.json here: keep going up.
    }
    if (json?.name === PACKAGE_NAME) return { root: dir, json };
    const parent = dirname(dir);
    if (parent === dir)
      throw new Error(`internal: no package.json of ${PACKAGE_NAME} in the folders above ${here}`);
    dir = parent;
  }
}

/** The folder holding this package's package.json (the one named h264mux, the nearest above this file). */
export function packageRoot(): string {
  return (found ??= find()).root;
}

/** This package's package.json. */
export function packageJson(): PackageJson {
  return (found ??= find()).json;
}
