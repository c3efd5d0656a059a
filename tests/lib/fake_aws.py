"""fake_aws: a FAKE AWS endpoint, for what moto cannot do.

moto cannot hold a hundred thousand resources and answer quickly enough to
measure vigild rather than moto, nor throttle, nor deny a region; the sweep
benchmark and the fault tests talk to this: an HTTP server on 127.0.0.1
that answers, in EC2's query protocol and its XML (the shapes of recorded
DescribeSecurityGroups and DescribeVolumes answers), with N synthetic
security groups and volumes, a thousand to a page with NextToken; and STS
GetCallerIdentity.  Every hundredth security group lets SSH in from
anywhere, every tenth volume is unencrypted, so that the rules have
something to find.  It checks no signature.

    python3 fake_aws.py [--throttle K] [--deny-region R] PORT SGS VOLUMES

--throttle K: every Kth EC2 call is answered 503 RequestLimitExceeded (as
EC2 throttles); --deny-region R: every EC2 call signed for region R is
answered 403 UnauthorizedOperation.  GET /counts: the calls answered, by
action ("DescribeSecurityGroups" counts listings begun, "...:page" every
page, "throttled" and "denied" the refusals).  GET /set?sgs=N&volumes=M:
resources come and go.
"""

import argparse
import json
import re
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ACCOUNT = "123456789012"
PAGE = 1000
NS = "http://ec2.amazonaws.com/doc/2016-11-15/"


def sg(i):
    gid = "sg-%017x" % i
    world = i % 100 == 0
    cidr = "0.0.0.0/0" if world else "10.%d.0.0/16" % (i % 256)
    return (
        "<item><ownerId>%s</ownerId><groupId>%s</groupId>"
        "<groupName>web-%d</groupName>"
        "<groupDescription>web servers %d</groupDescription>"
        "<vpcId>vpc-%08x</vpcId>"
        "<ipPermissions><item><ipProtocol>tcp</ipProtocol>"
        "<fromPort>22</fromPort><toPort>22</toPort><groups/>"
        "<ipRanges><item><cidrIp>%s</cidrIp>"
        "<description>admin</description></item></ipRanges>"
        "<ipv6Ranges/><prefixListIds/></item>"
        "<item><ipProtocol>tcp</ipProtocol><fromPort>443</fromPort>"
        "<toPort>443</toPort><groups/><ipRanges><item>"
        "<cidrIp>0.0.0.0/0</cidrIp></item></ipRanges><ipv6Ranges/>"
        "<prefixListIds/></item></ipPermissions>"
        "<ipPermissionsEgress><item><ipProtocol>-1</ipProtocol><groups/>"
        "<ipRanges><item><cidrIp>0.0.0.0/0</cidrIp></item></ipRanges>"
        "<ipv6Ranges/><prefixListIds/></item></ipPermissionsEgress>"
        "<tagSet><item><key>Name</key><value>web-%d</value></item>"
        "<item><key>team</key><value>team-%d</value></item></tagSet>"
        "<securityGroupArn>arn:aws:ec2:us-east-1:%s:security-group/%s"
        "</securityGroupArn></item>"
        % (ACCOUNT, gid, i, i, i // 50, cidr, i, i % 20, ACCOUNT, gid))


def volume(i):
    return (
        "<item><volumeId>vol-%017x</volumeId><size>%d</size><snapshotId/>"
        "<availabilityZone>us-east-1a</availabilityZone>"
        "<status>in-use</status>"
        "<createTime>2026-01-%02dT10:00:00.000Z</createTime>"
        "<attachmentSet><item><volumeId>vol-%017x</volumeId>"
        "<instanceId>i-%017x</instanceId><device>/dev/xvda</device>"
        "<status>attached</status>"
        "<attachTime>2026-01-%02dT10:00:01.000Z</attachTime>"
        "<deleteOnTermination>true</deleteOnTermination></item>"
        "</attachmentSet><encrypted>%s</encrypted>"
        "<volumeType>gp3</volumeType><iops>3000</iops>"
        "<multiAttachEnabled>false</multiAttachEnabled>"
        "<throughput>125</throughput></item>"
        % (i, 8 + i % 100, 1 + i % 28, i, i, 1 + i % 28,
           "false" if i % 10 == 0 else "true"))


def ec2_error(code, message):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors>'
            '<Error><Code>%s</Code><Message>%s</Message></Error></Errors>'
            '<RequestID>fake</RequestID></Response>' % (code, message))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def count(self, key):
        with self.server.lock:
            self.server.counts[key] = self.server.counts.get(key, 0) + 1
            return self.server.counts[key]

    def do_GET(self):
        q = urllib.parse.urlparse(self.path)
        if q.path == "/set":
            # Resources come and go: /set?sgs=N&volumes=M.
            for k, v in urllib.parse.parse_qs(q.query).items():
                setattr(self.server, k, int(v[0]))
            self.reply("{}", ctype="application/json")
            return
        if self.path != "/counts":
            self.reply("", 404)
            return
        with self.server.lock:
            self.reply(json.dumps(self.server.counts), ctype="application/json")

    def reply(self, body, status=200, ctype="text/xml;charset=UTF-8"):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def refused(self, action):
        """Throttled or denied, as the options say."""
        scope = re.search(r"Credential=[^/]+/[0-9]+/([^/]+)/",
                          self.headers.get("Authorization", ""))
        if self.server.deny_region and scope and \
                scope.group(1) == self.server.deny_region:
            self.count("denied")
            self.reply(ec2_error("UnauthorizedOperation", "You are not "
                                 "authorized to perform this operation."),
                       403)
            return True
        if self.server.throttle and \
                self.count("ec2 calls") % self.server.throttle == 0:
            self.count("throttled")
            self.reply(ec2_error("RequestLimitExceeded",
                                 "Request limit exceeded."), 503)
            return True
        return False

    def page(self, action, total, make, list_name, params, id_param,
             not_found):
        start = int(params.get("NextToken", ["0"])[0])
        self.count(action + ":page")
        if start == 0:
            self.count(action)
        ids = [v[0] for k, v in params.items()
               if re.fullmatch(id_param + r"\.[0-9]+", k)]
        if ids:
            # Described by id: those asked for, or NotFound.
            nums = [int(i.split("-", 1)[1], 16) for i in ids]
            if any(n >= total for n in nums):
                self.reply(ec2_error(not_found, "The ID '%s' does not "
                                     "exist" % ids[0]), 400)
                return None
            items, token = "".join(make(n) for n in nums), ""
            return self.answer(action, list_name, items, token, start)
        end = min(start + PAGE, total)
        items = "".join(make(i) for i in range(start, end))
        token = "<nextToken>%d</nextToken>" % end if end < total else ""
        return self.answer(action, list_name, items, token, start)

    def answer(self, action, list_name, items, token, start):
        return ('<?xml version="1.0" encoding="UTF-8"?>\n'
                '<%sResponse xmlns="%s"><requestId>fake-%d</requestId>'
                '<%s>%s</%s>%s</%sResponse>'
                % (action, NS, start, list_name, items, list_name, token,
                   action))

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        params = urllib.parse.parse_qs(body.decode())
        action = params.get("Action", [""])[0]
        if action == "GetCallerIdentity":
            self.reply(
                '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com'
                '/doc/2011-06-15/"><GetCallerIdentityResult>'
                '<Arn>arn:aws:iam::%s:user/bench</Arn><UserId>AIDAFAKE'
                '</UserId><Account>%s</Account></GetCallerIdentityResult>'
                '<ResponseMetadata><RequestId>fake</RequestId>'
                '</ResponseMetadata></GetCallerIdentityResponse>'
                % (ACCOUNT, ACCOUNT))
        elif action in ("DescribeSecurityGroups", "DescribeVolumes") and \
                self.refused(action):
            pass
        elif action == "DescribeSecurityGroups":
            body = self.page(action, self.server.sgs, sg, "securityGroupInfo",
                             params, "GroupId", "InvalidGroup.NotFound")
            if body is not None:
                self.reply(body)
        elif action == "DescribeVolumes":
            body = self.page(action, self.server.volumes, volume, "volumeSet",
                             params, "VolumeId", "InvalidVolume.NotFound")
            if body is not None:
                self.reply(body)
        else:
            self.reply(ec2_error("InvalidAction", "the fake does not do %s"
                                 % action), 400)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--throttle", type=int, default=0)
    ap.add_argument("--deny-region")
    ap.add_argument("port", type=int)
    ap.add_argument("sgs", type=int)
    ap.add_argument("volumes", type=int)
    a = ap.parse_args()
    port, sgs, volumes = a.port, a.sgs, a.volumes
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.sgs, server.volumes = sgs, volumes
    server.throttle, server.deny_region = a.throttle, a.deny_region
    server.counts, server.lock = {}, threading.Lock()
    print("fake-aws on 127.0.0.1:%d: %d security groups, %d volumes"
          % (port, sgs, volumes), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
