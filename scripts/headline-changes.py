#!/usr/bin/env python3
"""The report headlines that changed between a past revision and the working tree.

Usage: scripts/headline-changes.py REV
Reads results/*/report/summary.md as committed at REV (git show) and as they are now, and prints
a Markdown table of each group's fitted k, rule verdict, B_crit and critical-batch verdict where
they differ. docs/studies.md holds its output against e29a471 (the reports before the verdicts
issue).
"""
import os, re, subprocess, sys
def groups(text):
    out = {}
    cur = None
    for line in text.split('\n'):
        m = re.match(r'^## (.+ / .+ / .+)$', line)
        if m: cur = m.group(1); out.setdefault(cur, {}); continue
        if cur is None: continue
        g = out[cur]
        m = re.search(r'k = ([-0-9.]+) \((?:95% interval ([-0-9.]+) to ([-0-9.]+))?', line)
        if line.startswith('Fitted scaling exponent') and m and 'k' not in g:
            g['k'] = m.group(1) + (f" [{m.group(2)}, {m.group(3)}]" if m.group(2) else " (no interval)")
        if ('No verdict' in line or 'Consistent with' in line or 'Below both' in line or 'Between the two' in line or 'Above the linear' in line) and 'rule' not in g and ('k =' in line or line.startswith('No verdict')):
            for phrase in ['No verdict about the linear or square-root rule', 'No verdict', 'Consistent with the square-root rule', 'Consistent with the linear rule', 'Consistent with both', 'Below both rules', 'Between the two rules', 'Above the linear rule']:
                if phrase in line: g['rule'] = phrase; break
        m = re.search(r'B_crit = E_min/S_min = ([0-9]+)(?: \(95% bootstrap interval ([^,)]+))?', line)
        if m and 'bcrit' not in g: g['bcrit'] = m.group(1) + (f" [{m.group(2)}]" if m.group(2) else "")
        if 'No B_crit from the grid' in line and 'bcrit' not in g: g['bcrit'] = 'none (fewer than 3 measured batch sizes)'
        m = re.search(r'Verdict: (.{0,90})', line)
        if m and 'cverdict' not in g: g['cverdict'] = 'verdict: ' + re.sub(r'\(.*', '', m.group(1)).strip()
        if 'No verdict on where larger batches' in line and 'cverdict' not in g:
            g['cverdict'] = 'no verdict: ' + line.split('No verdict on where larger batches stop paying: ')[1].split(';')[0].split('.')[0]
    return out
if len(sys.argv) != 2: sys.exit(__doc__)
rev = sys.argv[1]
rows = []
for d in sorted(os.listdir('results')):
    p = f'results/{d}/report/summary.md'
    if not os.path.exists(p): continue
    try: old = subprocess.run(['git','show',f'{rev}:{p}'],capture_output=True,text=True,check=True).stdout
    except subprocess.CalledProcessError: continue
    new = open(p).read()
    go, gn = groups(old), groups(new)
    for grp in gn:
        o, n = go.get(grp, {}), gn[grp]
        for key, label in [('k','k'),('rule','rule verdict'),('bcrit','B_crit'),('cverdict','critical-batch verdict')]:
            a, b = o.get(key,'–'), n.get(key,'–')
            if a != b: rows.append(f"| `{d}` | {grp} | {label} | {a} | {b} |")
print('| study | group | headline | before | now |\n|---|---|---|---|---|')
print('\n'.join(rows))
