#!/usr/bin/env python3
"""trim-models.py: botocore's service models, trimmed to what vigil calls.

Reads an operations file (one line per service: the botocore service name,
then operation names; a line that starts with white space continues the
service above; '#' starts a comment) and writes, for each service,
OUTDIR/<service>.json: the service's metadata, only the operations named,
every shape reachable from their input, output and errors, and their
paginators.  Documentation strings are left out.

The output is deterministic: object keys are sorted, except the members of
a structure, which keep botocore's order (the order in which botocore, and
so the AWS CLI, prints them).  Running the tool twice gives no diff.

    python3 tools/trim-models.py [-o OUTDIR] OPERATIONS-FILE...

Several operations files are merged (the test models are the production
operations plus a few more).  Needs botocore (python3 -c 'import botocore').
"""

import argparse
import json
import os
import sys

import botocore
import botocore.loaders

DROP_KEYS = {'documentation', 'documentationUrl', 'examples'}


def read_operations(paths):
    wanted = {}
    for path in paths:
        service = None
        with open(path, encoding='utf-8') as f:
            for lineno, line in enumerate(f, 1):
                text = line.split('#', 1)[0]
                words = text.split()
                if not words:
                    continue
                if not line[0].isspace():
                    service = words.pop(0)
                    wanted.setdefault(service, [])
                elif service is None:
                    sys.exit(f'{path}:{lineno}: continuation without service')
                for op in words:
                    if op not in wanted[service]:
                        wanted[service].append(op)
    return wanted


def strip_docs(value):
    if isinstance(value, dict):
        return {k: strip_docs(v) for k, v in value.items()
                if k not in DROP_KEYS}
    if isinstance(value, list):
        return [strip_docs(v) for v in value]
    return value


def ordered(value, keep_order=False):
    """Sort object keys, except those of a "members" object."""
    if isinstance(value, dict):
        keys = list(value) if keep_order else sorted(value)
        return {k: ordered(value[k], k == 'members') for k in keys}
    if isinstance(value, list):
        return [ordered(v) for v in value]
    return value


def refs_of(shape):
    """The shape references a shape holds."""
    out = []
    for key in ('member', 'key', 'value'):
        if key in shape:
            out.append(shape[key]['shape'])
    for member in shape.get('members', {}).values():
        out.append(member['shape'])
    return out


def trim(loader, service, ops):
    model = loader.load_service_model(service, 'service-2')
    try:
        pages = loader.load_service_model(service, 'paginators-1')
        pages = pages.get('pagination', {})
    except botocore.exceptions.DataNotFoundError:
        pages = {}
    operations = {}
    todo = []
    for op in ops:
        if op not in model['operations']:
            sys.exit(f'{service}: no operation {op} in botocore '
                     f'{botocore.__version__}')
        o = model['operations'][op]
        operations[op] = o
        for key in ('input', 'output'):
            if key in o:
                todo.append(o[key]['shape'])
        for e in o.get('errors', []):
            todo.append(e['shape'])
    shapes = {}
    while todo:
        name = todo.pop()
        if name in shapes:
            continue
        shapes[name] = model['shapes'][name]
        todo.extend(refs_of(shapes[name]))
    out = {
        'metadata': model['metadata'],
        'operations': operations,
        'paginators': {op: pages[op] for op in ops if op in pages},
        'shapes': shapes,
        'version': model.get('version', '2.0'),
    }
    return ordered(strip_docs(out))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('-o', '--outdir', help='output directory '
                    '(default: the directory of the first operations file)')
    ap.add_argument('operations', nargs='+')
    args = ap.parse_args()
    outdir = args.outdir or os.path.dirname(args.operations[0]) or '.'
    wanted = read_operations(args.operations)
    loader = botocore.loaders.create_loader()
    os.makedirs(outdir, exist_ok=True)
    for service in sorted(wanted):
        trimmed = trim(loader, service, wanted[service])
        path = os.path.join(outdir, service + '.json')
        text = json.dumps(trimmed, indent=1, ensure_ascii=False,
                          separators=(',', ': ')) + '\n'
        with open(path + '.tmp', 'w', encoding='utf-8') as f:
            f.write(text)
        os.replace(path + '.tmp', path)
        print(f'{path}: {len(trimmed["operations"])} operations, '
              f'{len(trimmed["shapes"])} shapes, '
              f'{len(trimmed["paginators"])} paginators')


if __name__ == '__main__':
    main()
