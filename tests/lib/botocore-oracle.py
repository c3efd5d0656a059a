#!/usr/bin/env python3
"""botocore-oracle.py: botocore, and the AWS CLI's settings, as a test oracle
for vigil's AWS codec (tests/check_aws_codec.c).  Run with $MOTO_PYTHON (a
Python with botocore and awscli).

    botocore-oracle.py decode [--iso8601] < cases.jsonl > results.jsonl
        Each case {"id", "service", "operation", "status", "headers",
        "body_file" or "body"} is answered through a real botocore client
        of the AWS CLI's session (its scalar parsers: timestamps as they came
        over the wire, or as cli_timestamp_format=iso8601 prints them, blobs
        left base64; botocore's handlers: IAM policies decoded, S3's
        GetBucketLocation, S3's 200 errors), with the answer given instead of
        a network.  Each result is {"id", "doc"} (what the AWS CLI prints:
        ResponseMetadata left out), {"id", "error": {"Code", "Message",
        ...}, "request_id"} for an AWS error, or {"id", "exception"}.

    botocore-oracle.py serialise < cases.jsonl > results.jsonl
        Each case {"id", "service", "operation", "params"} is serialised by
        botocore's serializer (with its parameter validation) and prepared
        as botocore prepares it: {"id", "method", "path", "headers",
        "body", "host_prefix"} or {"id", "invalid": message}.

    botocore-oracle.py paginate < cases.jsonl > results.jsonl
        Each case {"id", "service", "operation", "params", "pages": [docs]}
        runs botocore's paginator over the given pages (parsed documents):
        {"id", "requests": [params of each request], "result":
        build_full_result()}.

    botocore-oracle.py map CORPUS-DIR
        The table of tests/data/aws-codec/corpus-map.tsv: for every file
        under CORPUS-DIR (testdata/aws-api), the service and operation whose
        answer it is, or why it is skipped.

    botocore-oracle.py operations MAP-TSV
        The operations the table names, as an operations file for
        tools/trim-models.py.

    botocore-oracle.py expect DIR...
        For each case file NAME.case under the directories (a decode case
        has "body", a file beside it; a pagination case "pages"; a
        serialiser case "params"), write botocore's answer to NAME.expected
        (and, for decode cases, NAME.iso8601.expected): the bundled cases'
        expectations, so that make check needs no Python.

TZ is set to UTC: the CLI prints seconds since the epoch in local time.
"""

import base64
import json
import os
import re
import sys
from urllib.parse import urlsplit

os.environ['TZ'] = 'UTC'
import time  # noqa: E402
time.tzset()

import botocore  # noqa: E402
import botocore.config  # noqa: E402
import botocore.paginate  # noqa: E402
import botocore.serialize  # noqa: E402
import botocore.session  # noqa: E402
from botocore import xform_name  # noqa: E402
from botocore.awsrequest import (AWSResponse, HeadersDict,  # noqa: E402
                                 create_request_object, prepare_request_dict)
from botocore.exceptions import ClientError  # noqa: E402

try:
    from awscli.customizations import scalarparse
    from awscli.utils import json_encoder
except ImportError:
    sys.exit('botocore-oracle.py: needs the AWS CLI v1 (pip install awscli)')

CORPUS_SERVICE_DIRS = {
    'ec2': 'ec2', 'aws-ec2': 'ec2', 'sqs': 'sqs', 'sts': 'sts',
    'iam': 'iam', 'rds': 'rds',
}
CLI_SERVICES = {'s3api': 's3', 'configservice': 'config'}
DUMMY = {'AccountId': '123456789012', 'Bucket': 'bucket'}
# The operation an error answer is decoded for (any: errors are the
# protocol's, not the operation's).
ERROR_OPS = {'ec2': 'DescribeInstances', 'iam': 'ListUsers',
             'rds': 'DescribeDBInstances', 'sts': 'GetCallerIdentity',
             's3': 'ListBuckets', 'sqs': 'ListQueues'}


class Raw:
    def __init__(self, body):
        self.body = body

    def stream(self, **kwargs):
        yield self.body


class Oracle:
    def __init__(self, iso8601=False):
        self.session = botocore.session.Session()
        scalarparse.add_scalar_parsers(self.session)
        if iso8601:
            factory = self.session.get_component('response_parser_factory')
            factory.set_parser_defaults(timestamp_parser=scalarparse.iso_format)
        self.clients = {}
        self.answer = None

    def client(self, service):
        if service not in self.clients:
            cfg = botocore.config.Config(
                parameter_validation=False,
                retries={'total_max_attempts': 1, 'mode': 'standard'})
            c = self.session.create_client(
                service, region_name='us-east-1',
                aws_access_key_id='AKIDEXAMPLE',
                aws_secret_access_key='secret', config=cfg)
            c.meta.events.register_first('before-send.*.*', self._send)
            self.clients[service] = c
        return self.clients[service]

    def _send(self, request, **kwargs):
        status, headers, body = self.answer
        return AWSResponse(request.url, status, HeadersDict(headers),
                           Raw(body))

    def dummy(self, shape):
        if shape.type_name == 'structure':
            return {m: self.dummy_member(m, shape.members[m])
                    for m in shape.required_members}
        return self.dummy_member('', shape)

    def dummy_member(self, name, shape):
        if name in DUMMY:
            return DUMMY[name]
        return {'string': 'x', 'integer': 1, 'long': 1, 'boolean': False,
                'list': [], 'map': {}, 'timestamp': 0, 'blob': b'x',
                'double': 1.0, 'float': 1.0}.get(shape.type_name) \
            if shape.type_name != 'structure' else self.dummy(shape)

    def decode(self, case):
        body = case.get('body')
        if body is None:
            with open(case['body_file'], 'rb') as f:
                body = f.read()
            if case.get('placebo'):
                body = json.dumps(json.loads(body).get('data', {})).encode()
        elif isinstance(body, str):
            body = body.encode()
        self.answer = (case.get('status', 200), case.get('headers', {}),
                       body)
        client = self.client(case['service'])
        op = client.meta.service_model.operation_model(case['operation'])
        params = self.dummy(op.input_shape) if op.input_shape else {}
        try:
            parsed = getattr(client, xform_name(case['operation']))(**params)
        except ClientError as e:
            err = dict(e.response.get('Error', {}))
            return {'error': err, 'request_id':
                    e.response.get('ResponseMetadata', {}).get('RequestId')}
        except Exception as e:  # noqa: B902
            return {'exception': f'{type(e).__name__}: {e}'}
        parsed.pop('ResponseMetadata', None)
        return {'doc': parsed}


def dumps(v):
    return json.dumps(v, default=json_encoder, ensure_ascii=False,
                      allow_nan=True)


def cmd_decode(args):
    oracle = Oracle(iso8601='--iso8601' in args)
    for line in sys.stdin:
        case = json.loads(line)
        out = oracle.decode(case)
        out['id'] = case['id']
        try:
            print(dumps(out), flush=False)
        except (TypeError, ValueError) as e:
            print(dumps({'id': case['id'],
                         'exception': f'not JSON: {e}'}))
    sys.stdout.flush()


def cmd_serialise(args):
    session = botocore.session.Session()
    for line in sys.stdin:
        case = json.loads(line)
        out = serialise_one(session, case)
        out['id'] = case['id']
        print(json.dumps(out, ensure_ascii=False))


def cmd_paginate(args):
    session = botocore.session.Session()
    for line in sys.stdin:
        case = json.loads(line)
        out = paginate_one(session, case)
        out['id'] = case['id']
        print(dumps(out))


def decode_one(oracle, case):
    out = oracle.decode(case)
    out.pop('id', None)
    return out


def serialise_one(session, case):
    model = session.get_service_model(case['service'])
    op = model.operation_model(case['operation'])
    ser = botocore.serialize.create_serializer(model.resolved_protocol)
    try:
        req = ser.serialize_to_request(case.get('params', {}), op)
    except Exception as e:  # noqa: B902
        return {'invalid': f'{type(e).__name__}: {e}'}
    headers = dict(req['headers'])
    prefix = req.get('host_prefix')
    prepare_request_dict(req, endpoint_url='https://host.test')
    prepared = create_request_object(req).prepare()
    body = prepared.body
    if isinstance(body, bytes):
        body = body.decode('utf-8')
    url = urlsplit(req['url'])
    return {'method': req['method'],
            'path': url.path + ('?' + url.query if url.query else ''),
            'headers': headers, 'body': body or '', 'host_prefix': prefix}


def paginate_one(session, case):
    model = session.get_service_model(case['service'])
    op = model.operation_model(case['operation'])
    config = session.get_paginator_model(case['service']).get_paginator(
        case['operation'])
    pages = list(case['pages'])
    requests = []

    def method(**kwargs):
        requests.append(dict(kwargs))
        return json.loads(json.dumps(pages.pop(0)))

    method.__name__ = xform_name(case['operation'])
    pag = botocore.paginate.Paginator(method, config, op)
    try:
        result = pag.paginate(**case.get('params', {})).build_full_result()
        return {'requests': requests, 'result': result}
    except Exception as e:  # noqa: B902
        return {'requests': requests, 'exception': f'{type(e).__name__}: {e}'}


def write_json(path, value):
    with open(path, 'w', encoding='utf-8') as f:
        f.write(json.dumps(value, indent=1, ensure_ascii=False,
                           default=json_encoder) + '\n')


def cmd_expect(args):
    wire, iso = Oracle(), Oracle(iso8601=True)
    session = botocore.session.Session()
    for d in args:
        for name in sorted(os.listdir(d)):
            if not name.endswith('.case'):
                continue
            base = os.path.join(d, name[:-5])
            with open(base + '.case') as f:
                case = json.load(f)
            if 'body' in case:
                case = dict(case)
                case['body_file'] = os.path.join(d, case.pop('body'))
                write_json(base + '.expected', decode_one(wire, case))
                write_json(base + '.iso8601.expected', decode_one(iso, case))
            elif 'pages' in case:
                write_json(base + '.expected', paginate_one(session, case))
            else:
                write_json(base + '.expected', serialise_one(session, case))
            print(base)


def op_by_xform(model, name):
    want = name.replace('-', '_')
    for op in model.operation_names:
        if xform_name(op) == want:
            return op
    return None


def map_xml(session, rel, path, service):
    with open(path, 'rb') as f:
        data = f.read()
    m = re.search(rb'<([A-Za-z_][\w.:-]*)[\s>/]', data[data.find(b'<', 0)
                  if not data.startswith(b'<?') else data.find(b'?>') + 2:])
    if m is None:
        return ('skip', service, '', 0, 'no XML element')
    root = m.group(1).decode().split(':')[-1]
    if service is None:
        return ('skip', '', '', 0, f'root <{root}>: no service known')
    model = session.get_service_model(service)
    if model.resolved_protocol not in ('query', 'ec2', 'rest-xml'):
        return ('skip', service, '', 0,
                f'{service} speaks {model.resolved_protocol} in botocore '
                f'{botocore.__version__}: XML answers are not its')
    if root in ('Response', 'ErrorResponse', 'Error'):
        return ('xml', service, ERROR_OPS[service], 400,
                f'an error (<{root}>)')
    if root.endswith('Response'):
        op = root[:-len('Response')]
        if op not in model.operation_names:
            return ('skip', service, op, 0,
                    f'no operation {op} in botocore {botocore.__version__}')
        return ('xml', service, op, 200, '')
    return ('skip', service, '', 0, f'root <{root}> is not an AWS answer')


def cmd_map(args):
    root = args[0]
    session = botocore.session.Session()
    rows = []
    for dirpath, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            folder = rel.split('/')[0]
            rows.append((rel,) + map_file(session, folder, rel, path, name))
    for r in sorted(rows):
        print('\t'.join(str(x) for x in r))


def json_protocol(session, service):
    return session.get_service_model(service).resolved_protocol in \
        ('json', 'rest-json')


def map_file(session, folder, rel, path, name):
    if folder == 'botocore-response-parsing':
        base, ext = os.path.splitext(name)
        service, opname = base.split('-', 1)
        model = session.get_service_model(service)
        op = op_by_xform(model, opname.split('#')[0])
        if ext == '.json' and os.path.exists(path[:-5] + '.xml'):
            return ('skip', service, op or '', 0,
                    'the expected output of the .xml beside it')
        if op is None:
            return ('skip', service, '', 0, 'operation not in botocore')
        if ext == '.xml':
            if model.resolved_protocol not in ('query', 'ec2', 'rest-xml'):
                return ('skip', service, op, 0,
                        f'{service} speaks {model.resolved_protocol}')
            return ('xml', service, op, 200, '')
        if json_protocol(session, service):
            return ('json', service, op, 200,
                    'an expected output, as a JSON answer')
        return ('skip', service, op, 0, 'parsed output, not wire bytes')
    if folder in ('jclouds-xml', 'jclouds-labs-aws-xml', 'libcloud-ec2-xml'):
        if not name.endswith('.xml'):
            return ('skip', '', '', 0, 'not XML')
        service = 'ec2' if folder == 'libcloud-ec2-xml' else None
        for part in rel.split('/'):
            if part in CORPUS_SERVICE_DIRS:
                service = CORPUS_SERVICE_DIRS[part]
        return map_xml(session, rel, path, service)
    if folder == 'cloud-custodian-placebo-json':
        m = re.match(r'([a-z0-9-]+)\.([A-Za-z0-9]+)_\d+\.json$', name)
        if m is None:
            return ('skip', '', '', 0, 'not a placebo answer')
        service, op = m.group(1), m.group(2)
        if not json_protocol(session, service):
            return ('skip', service, op, 0,
                    'placebo holds botocore\'s parsed output of an '
                    'XML-protocol service, not its wire bytes')
        return ('placebo', service, op, 200, '')
    if folder == 'aws-cli-examples':
        if not name.endswith('.json'):
            return ('skip', '', '', 0, 'documentation')
        cli = rel.split('/')[1]
        service = CLI_SERVICES.get(cli, cli)
        op = op_by_xform(session.get_service_model(service),
                         name.split('.')[0])
        if op is None:
            return ('skip', service, '', 0, 'no such operation')
        if not json_protocol(session, service):
            return ('skip', service, op, 0,
                    'CLI output of an XML-protocol service, not wire bytes')
        return ('json', service, op, 200, 'CLI output, as a JSON answer')
    if folder == 'botocore-examples-1':
        return ('skip', '', '', 0, 'parsed example outputs of XML-protocol '
                'services, not wire bytes')
    return ('skip', '', '', 0, 'unknown folder')


def cmd_operations(args):
    ops = {}
    with open(args[0]) as f:
        for line in f:
            rel, kind, service, op, status, note = line.rstrip('\n').split(
                '\t')
            if kind != 'skip' and op:
                ops.setdefault(service, set()).add(op)
    for service in sorted(ops):
        print(service, ' '.join(sorted(ops[service])))


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cmd = {'decode': cmd_decode, 'serialise': cmd_serialise,
           'paginate': cmd_paginate, 'map': cmd_map,
           'operations': cmd_operations, 'expect': cmd_expect}.get(sys.argv[1])
    if cmd is None:
        sys.exit(__doc__)
    cmd(sys.argv[2:])


if __name__ == '__main__':
    main()
