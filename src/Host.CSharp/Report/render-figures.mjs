// Renders the report's Vega-Lite specs to SVG, headless, with the pinned npm vega and vega-lite.
//   node render-figures.mjs SPECS.json OUT_DIR     (SPECS.json: [{"name": ..., "spec": {...}}])
import fs from 'fs';
import path from 'path';
import * as vega from 'vega';
import * as vl from 'vega-lite';

const [specFile, outDir] = process.argv.slice(2);
const figures = JSON.parse(fs.readFileSync(specFile, 'utf8'));
for (const f of figures) {
  try {
    const view = new vega.View(vega.parse(vl.compile(f.spec).spec), { renderer: 'none' });
    fs.writeFileSync(path.join(outDir, `${f.name}.svg`), await view.toSVG());
    view.finalize();
  } catch (e) {
    process.stderr.write(`figure ${f.name}: ${e.message}\n`);
    process.exit(1);
  }
}
