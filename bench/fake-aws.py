"""fake-aws: a FAKE AWS endpoint for benchmarks, not a test peer.

moto cannot hold a hundred thousand resources and answer quickly enough to
measure vigild rather than moto, so the sweep benchmark talks to this: an
HTTP server on 127.0.0.1 that answers, in EC2's query protocol and its XML
(the shapes of recorded DescribeSecurityGroups and DescribeVolumes answers),
with N synthetic security groups and volumes, a thousand to a page with
NextToken; and STS GetCallerIdentity.  Every hundredth security group
lets SSH in from anywhere, every tenth volume is unencrypted, so that the
rules have something to find.  It checks nothing (no signature): it is a
load generator.

    python3 fake-aws.py PORT SECURITY_GROUPS VOLUMES
"""

import sys
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


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    counts = {}

    def log_message(self, *args):
        pass

    def reply(self, body, status=200):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/xml;charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def page(self, action, total, make, list_name, params):
        start = int(params.get("NextToken", ["0"])[0])
        end = min(start + PAGE, total)
        items = "".join(make(i) for i in range(start, end))
        token = "<nextToken>%d</nextToken>" % end if end < total else ""
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
        elif action == "DescribeSecurityGroups":
            self.reply(self.page(action, self.server.sgs, sg,
                                 "securityGroupInfo", params))
        elif action == "DescribeVolumes":
            self.reply(self.page(action, self.server.volumes, volume,
                                 "volumeSet", params))
        else:
            self.reply('<Response><Errors><Error><Code>InvalidAction</Code>'
                       '<Message>the fake does not do %s</Message></Error>'
                       '</Errors><RequestID>fake</RequestID></Response>'
                       % action, 400)


def main():
    port, sgs, volumes = (int(a) for a in sys.argv[1:4])
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.sgs, server.volumes = sgs, volumes
    print("fake-aws on 127.0.0.1:%d: %d security groups, %d volumes"
          % (port, sgs, volumes), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
