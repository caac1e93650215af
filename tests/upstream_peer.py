#!/usr/bin/env python3
"""The other end of the upstream link, in Python, from gateway/proto/plc_upstream.proto alone
(compiled by protoc into PB_DIR; python3-protobuf and python3-zmq from Debian).

  upstream_peer.py headend PB_DIR ENDPOINT SERVER_KEY GATEWAY_PUB METERS TIMEOUT
      acts as a head-end for one gateway: admits only GATEWAY_PUB (ZAP), answers logins,
      heartbeats and batches, and once METERS daily freezes came sends a topology and a trip
      command; prints one JSON line of what it got.
  upstream_peer.py probe PB_DIR ENDPOINT SERVER_PUB CLIENT_KEY GATEWAY_ID
      a misbehaving client of plc-headend: garbage, an oversized message, a login naming
      another gateway, a routing id that is not its key's; prints one JSON line of what the
      head-end answered.
"""
import importlib
import json
import sys
import time

import zmq
import zmq.auth.thread


def read_key(path):
    keys = {}
    for line in open(path):
        line = line.strip()
        if '=' in line and not line.startswith('#'):  # Z85 has '#': comments are whole lines
            name, value = (x.strip() for x in line.split('=', 1))
            keys[name] = value.encode()
    return keys


def envelope(pb, **body):
    e = pb.Envelope(version=1)
    for name, msg in body.items():
        getattr(e, name).CopyFrom(msg)
    return e.SerializeToString()


def headend(pb, endpoint, server_key, gateway_pub, meters, timeout):
    ctx = zmq.Context()
    allowed = read_key(gateway_pub)['public']

    class Keys:
        def callback(self, domain, key):
            return key == allowed

    auth = zmq.auth.thread.ThreadAuthenticator(ctx)
    auth.start()
    auth.configure_curve_callback(domain='*', credentials_provider=Keys())
    keys = read_key(server_key)
    s = ctx.socket(zmq.ROUTER)
    s.curve_server = True
    s.curve_secretkey = keys['secret']
    s.curve_publickey = keys['public']
    s.setsockopt(zmq.ROUTER_MANDATORY, 1)
    s.linger = 0
    s.bind(endpoint)
    acked = {}
    daily = set()
    got = {'logins': 0, 'readings': 0, 'events': 0, 'heartbeats': 0, 'results': {},
           'user_id_ok': True, 'location': None}
    sent_commands = False
    t_end = time.time() + timeout
    while time.time() < t_end:
        if not s.poll(200):
            continue
        frames = s.recv_multipart(copy=False)
        rid = frames[0].bytes
        if frames[1].get('User-Id') != allowed.decode():
            got['user_id_ok'] = False
        e = pb.Envelope()
        e.ParseFromString(frames[1].bytes)
        kind = e.WhichOneof('body')
        if kind == 'login':
            got['logins'] += 1
            got['gateway'] = e.login.gateway_id
            if e.login.HasField('location'):
                got['location'] = [e.login.location.latitude, e.login.location.longitude]
            a = pb.LoginAck(epoch=e.login.epoch, acked=acked.get(e.login.epoch, 0),
                            clock_ms=int(time.time() * 1000))
            s.send_multipart([rid, envelope(pb, login_ack=a)])
            # a malformed message and one of another version: the gateway refuses both
            s.send_multipart([rid, b'\xff\xff\xff\xff\x0f garbage'])
            s.send_multipart([rid, pb.Envelope(version=2, heartbeat_ack=pb.HeartbeatAck(
                nonce=0, receive_ms=0, transmit_ms=0)).SerializeToString()])
        elif kind == 'heartbeat':
            got['heartbeats'] += 1
            now = int(time.time() * 1000)
            a = pb.HeartbeatAck(nonce=e.heartbeat.nonce, receive_ms=now, transmit_ms=now)
            s.send_multipart([rid, envelope(pb, heartbeat_ack=a)])
        elif kind == 'batch':
            b = e.batch
            have = acked.get(b.epoch, 0)
            if b.after > have:
                s.send_multipart([rid, envelope(pb, ack=pb.Ack(epoch=b.epoch, upto=have, gap=True))])
                continue
            if b.last > have:
                for r in b.reading:
                    got['readings'] += 1
                    if r.di == 0x05060101:
                        daily.add(r.meter)
                got['events'] += len(b.event)
                for r in b.result:
                    got['results'][r.id] = {'status': r.status, 'json': json.loads(r.json)}
                acked[b.epoch] = b.last
            s.send_multipart([rid, envelope(pb, ack=pb.Ack(epoch=b.epoch, upto=acked[b.epoch]))])
        elif kind == 'error':
            got.setdefault('gateway_errors', []).append(e.error.code)
        elif kind == 'result':
            got['results'][e.result.id] = {'status': e.result.status,
                                           'json': json.loads(e.result.json),
                                           'repeated': e.result.repeated}
        if len(daily) >= meters and not sent_commands:
            sent_commands = True
            Kind = pb.Command.Kind
            s.send_multipart([rid, envelope(pb, command=pb.Command(id='py-topology', kind=Kind.Value('TOPOLOGY')))])
            s.send_multipart([rid, envelope(pb, command=pb.Command(
                id='py-trip', kind=Kind.Value('TRIP'), meter='000000000002'))])
            s.send_multipart([rid, envelope(pb, command=pb.Command(  # rate 9: refused
                id='py-bad', kind=Kind.Value('TARIFF'), meter='000000000002', rate=9, arg=1))])
        if all(k in got['results'] for k in ('py-trip', 'py-topology', 'py-bad')):
            break
    got['daily_meters'] = len(daily)
    topo = got['results'].get('py-topology', {}).get('json', {})
    got['topology_meters'] = topo.get('meters')
    got['results'].pop('py-topology', None)
    print(json.dumps(got))
    s.close()
    auth.stop()
    ctx.term()


def probe(pb, endpoint, server_pub, client_key, gateway_id):
    ctx = zmq.Context()
    keys = read_key(client_key)

    def client(rid):
        c = ctx.socket(zmq.DEALER)
        c.curve_serverkey = read_key(server_pub)['public']
        c.curve_publickey = keys['public']
        c.curve_secretkey = keys['secret']
        c.routing_id = rid.encode()
        c.linger = 0
        c.connect(endpoint)
        return c

    def answer(c, wait=3000):
        if not c.poll(wait):
            return None
        e = pb.Envelope()
        e.ParseFromString(c.recv())
        return e

    out = {}
    c = client(gateway_id)
    c.send(b'\xff\xff\xff\xff\x0f garbage')
    e = answer(c)
    out['garbage'] = e.error.code if e is not None and e.HasField('error') else None
    c.send(envelope(pb, heartbeat=pb.Heartbeat(nonce=1, transmit_ms=0)))
    e = answer(c)
    out['before_login'] = e.error.code if e is not None and e.HasField('error') else None
    login = pb.Login(gateway_id='someone-else', software='probe', meters=0, epoch=5, clock_ms=0)
    c.send(envelope(pb, login=login))
    e = answer(c)
    out['login_other_id'] = e.error.code if e is not None and e.HasField('error') else None
    c.send(b'\x08' + b'\x01' * (5 << 20))  # 5 MiB: beyond ZMQ_MAXMSGSIZE (4 MiB)
    out['oversized_answered'] = answer(c, 1500) is not None
    c.close()
    c = client(gateway_id)  # the head-end still serves
    login.gateway_id = gateway_id
    c.send(envelope(pb, login=login))
    e = answer(c)
    out['login_after'] = e is not None and e.HasField('login_ack')
    c.close()
    c = client('not-' + gateway_id)  # a routing id that is not its key's gateway
    login.gateway_id = 'not-' + gateway_id
    c.send(envelope(pb, login=login))
    out['mismatch_answered'] = answer(c, 1500) is not None
    c.close()
    print(json.dumps(out))
    ctx.term()


def main():
    mode, pb_dir = sys.argv[1], sys.argv[2]
    sys.path.insert(0, pb_dir)
    pb = importlib.import_module('plc_upstream_pb2')
    if mode == 'headend':
        headend(pb, sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6]), float(sys.argv[7]))
    elif mode == 'probe':
        probe(pb, *sys.argv[3:7])
    else:
        sys.exit('unknown mode ' + mode)


if __name__ == '__main__':
    main()
