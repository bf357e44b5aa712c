// The middlebox catalogue. Each profile is a FirewallConfig with every value
// that differs from the plain defaults set explicitly, with its source.
// Sources are the quotations collected in the shared reference
// middleboxes.md (section numbers "ref §N" below); UNVERIFIED marks a value
// kasim assumes because no primary source could be read, and each profile's
// `unverified` list repeats those assumptions for the listing.
#include "kasim/middlebox_profiles.h"

#include <fmt/format.h>

namespace kasim {

namespace {

constexpr Time s(int64_t v) { return Time::s(v); }

// Linux netfilter conntrack, kernel defaults (ref §2.1):
// nf_conntrack_proto_tcp.c tcp_timeouts[] and nf_conntrack-sysctl.rst.
FirewallConfig linux_conntrack() {
  FirewallConfig c;
  c.established = s(432000);  // ESTABLISHED 5 d (nf_conntrack_tcp_timeout_established)
  c.syn = s(120);             // SYN_SENT 120 s
  c.closing = s(120);         // FIN_WAIT 120 s (CLOSE_WAIT 60 s and LAST_ACK 30 s are not told apart)
  c.time_wait = s(120);       // TIME_WAIT 120 s
  c.closed = s(10);           // CLOSE 10 s (after an RST)
  c.pickup = Pickup::kLoose;  // nf_conntrack_tcp_loose = 1 (tcp_new() builds an entry from a mid-stream ACK)
  c.pickup_timeout = s(300);  // ESTABLISHED without SEEN_REPLY capped at UNACK 300 s
  c.max_retrans = 3;          // nf_conntrack_tcp_max_retrans = 3 ...
  c.retrans_timeout = s(300); // ... then nf_conntrack_tcp_timeout_max_retrans = 300 s
  // Conntrack sends nothing itself; an INVALID packet (loose=0, or a FIN/RST
  // without state) meets the usual `ct state invalid drop`.
  c.on_no_state = NoStateAction::kDrop;
  c.on_idle = IdleAction::kForget;            // entries just disappear (GC)
  c.window_check = WindowCheck::kOff;         // tcp_in_window() accepts probes at SND.UNA-1 (lower bound has maxwin slack)
  c.max_entries = 0;                          // nf_conntrack_max depends on RAM: set max_entries in the scenario
  // Table full: early_drop() evicts an entry that is not ASSURED, else the
  // packet is dropped ("nf_conntrack: table full in netns N, dropping
  // packet"); measured on 6.18 (tools/conntrack-compare/RESULTS.md).
  c.when_full = WhenFull::kEarlyDrop;
  return c;
}

std::vector<MiddleboxProfile> build() {
  std::vector<MiddleboxProfile> v;

  v.push_back({"linux-conntrack", "Linux netfilter conntrack with kernel defaults, `ct state invalid drop` ruleset",
               "nf_conntrack_proto_tcp.c tcp_timeouts[], tcp_new(), nf_conntrack_tcp_packet(); "
               "Documentation/networking/nf_conntrack-sysctl.rst (ref §2.1)",
               linux_conntrack()});

  {
    FirewallConfig c = linux_conntrack();
    c.pickup = Pickup::kStrict;  // nf_conntrack_tcp_loose = 0: "disable picking up already established connections"
    c.pickup_timeout = Time::never();
    v.push_back({"linux-conntrack-strict", "Linux conntrack with nf_conntrack_tcp_loose=0 and `ct state invalid drop`",
                 "nf-conntrack-sysctl.rst nf_conntrack_tcp_loose; tcp_new() returns false for non-SYN (ref §2.1)", c});
  }
  {
    FirewallConfig c = linux_conntrack();
    c.pickup = Pickup::kStrict;
    c.pickup_timeout = Time::never();
    c.on_no_state = NoStateAction::kResetSender;  // `ct state invalid reject with tcp reset`: flags R, seq = the packet's ACK
    v.push_back({"linux-conntrack-reject", "Linux conntrack, loose=0, `ct state invalid reject with tcp reset`",
                 "nf_send_reset() / nft reject (RST seq = offending ack, RFC 9293 §3.10.7.1) (ref §2.1)", c});
  }
  {
    FirewallConfig c = linux_conntrack();
    c.established = s(7440);  // openwrt sysctl-nf-conntrack.conf: nf_conntrack_tcp_timeout_established=7440
    c.max_retrans = 5;        // openwrt: nf_conntrack_tcp_max_retrans=5
    c.nat.enabled = true;     // fw4 zone wan masq=1
    c.nat.preserve_port = true;  // MASQUERADE tries the original source port first (nf_nat_core.c get_unique_tuple())
    // A late WAN-side packet is addressed to the router; zone wan input=REJECT
    // with tcp_reject_code "tcp-reset" answers it with an RST.
    c.on_no_state = NoStateAction::kResetSender;
    c.reset_senders = Sides::kServer;
    c.pickup = Pickup::kFromClient;  // a LAN-side late packet is picked up (loose=1) and re-NATed
    v.push_back({"openwrt", "OpenWrt home router (Linux conntrack + fw4 defaults, masquerading WAN)",
                 "openwrt sysctl-nf-conntrack.conf; firewall4 root/etc/config/firewall, fw4.uc (ref §2.2)", c});
  }
  {
    FirewallConfig c = linux_conntrack();
    c.established = s(86400);  // kube-proxy --conntrack-tcp-timeout-established default 24h0m0s
    c.closing = s(3600);       // --conntrack-tcp-timeout-close-wait default 1h0m0s
    v.push_back({"kube-proxy", "Kubernetes node conntrack as kube-proxy (iptables/nft mode) sets it",
                 "kube-proxy reference flags --conntrack-tcp-timeout-established/-close-wait (ref §2.3)", c});
  }
  {
    FirewallConfig c;
    c.established = s(900);  // ip_vs_proto_tcp.c tcp_timeouts[IP_VS_TCP_S_ESTABLISHED] = 15*60*HZ
    c.syn = s(60);           // SYN_RECV 60 s
    c.closing = s(120);      // FIN_WAIT 120 s
    c.time_wait = s(120);    // TIME_WAIT 120 s
    c.closed = s(10);        // CLOSE 10 s
    c.on_no_state = NoStateAction::kDrop;  // UNVERIFIED (believed silent)
    v.push_back({"linux-ipvs", "Linux IPVS (kube-proxy IPVS mode) connection table",
                 "net/netfilter/ipvs/ip_vs_proto_tcp.c tcp_timeouts[]; expiry behaviour UNVERIFIED (ref §2.3)", c});
    v.back().unverified = {
        "packets without state: dropped silently (IPVS expiry behaviour not read)"};
  }

  {
    FirewallConfig c;
    c.established = s(86400);  // pfvar.h PFTM_TCP_ESTABLISHED_VAL 24*60*60
    c.syn = s(120);            // PFTM_TCP_FIRST_PACKET_VAL 120 (tcp.opening 30 s after the reply is not told apart)
    c.closing = s(900);        // PFTM_TCP_CLOSING_VAL 15*60 ("Half closed")
    c.time_wait = s(45);       // PFTM_TCP_FIN_WAIT_VAL 45 ("Got both FINs")
    c.closed = s(90);          // PFTM_TCP_CLOSED_VAL 90 ("Got a RST")
    c.pickup = Pickup::kStrict;             // `flags S/SA` is applied by default: only a SYN creates state
    c.on_no_state = NoStateAction::kDrop;   // set block-policy drop (default)
    c.window_check = WindowCheck::kOff;     // pf tracks windows but normalises zero-length packets: probes pass
    c.max_entries = 100000;                 // set limit states default 100000
    c.when_full = WhenFull::kDrop;          // no state can be created: the packet is dropped
    c.adaptive_start = 60000;               // adaptive.start default 60 % of the limit (pf.conf(5), FreeBSD)
    c.adaptive_end = 120000;                // adaptive.end default 120 % of the limit
    v.push_back({"pf", "OpenBSD/FreeBSD pf, default timeouts, block-policy drop, adaptive timeouts on",
                 "sys/net/pfvar.h PFTM_*; pf.conf(5) (FreeBSD 15.0) adaptive.start/end, flags S/SA, block-policy (ref §2.4)",
                 c});
    c.established = s(18000);  // set optimization aggressive: tcp.established 18000
    c.syn = s(30);             // tcp.first 30
    c.closing = s(60);         // tcp.closing 60
    c.time_wait = s(30);       // tcp.finwait 30
    c.closed = s(30);          // tcp.closed 30
    v.push_back({"pf-aggressive", "pf with `set optimization aggressive`",
                 "sbin/pfctl/pfctl.c pf_hint_aggressive (ref §2.4)", c});
  }

  {
    FirewallConfig c;
    c.established = s(3600);  // timeout conn default 1:0:0
    c.syn = s(30);            // set connection timeout embryonic default 0:0:30
    c.closing = s(600);       // timeout half-closed default 0:10:0
    c.time_wait = s(60);      // "slots are freed approximately 60 seconds after a normal connection close sequence"
    c.closed = s(60);         // same (RST teardown delay UNVERIFIED)
    c.pickup = Pickup::kStrict;  // "If it is not a SYN packet, the packet is dropped" (Cisco packet-flow doc)
    // TechNote 220486: resets for packets allowed by an ACL but without a
    // connection, `service resetoutbound` enabled by default; resetinbound
    // disabled: so inside (client) senders get an RST, outside ones a silent
    // drop. The interplay is UNVERIFIED.
    c.on_no_state = NoStateAction::kResetSender;
    c.reset_senders = Sides::kClient;
    c.on_idle = IdleAction::kForget;  // silent teardown (syslog "Conn-timeout")
    c.probe_interval = s(15);         // dcd retry-interval default 0:0:15
    c.probe_count = 5;                // dcd max-retries default 5
    v.push_back({"cisco-asa", "Cisco ASA, global defaults (no DCD, no idle reset)",
                 "ASA CLI config guide 'Configure Global Timeouts'; ASA 9.1 'set connection timeout'; "
                 "TechNote 220486 (ref §2.5)",
                 c});
    v.back().unverified = {
        "closed 60 s after an RST (teardown delay)",
        "RST only to inside (client) senders without state (resetoutbound/resetinbound interplay)"};
    FirewallConfig d = c;
    d.on_idle = IdleAction::kProbe;  // set connection timeout dcd: probe both ends, keep if both answer
    v.push_back({"cisco-asa-dcd", "Cisco ASA with `set connection timeout dcd` (dead connection detection)",
                 "ASA 9.1 config guide DCD: probes after idle timeout, retry-interval 15 s, max-retries 5; probe = "
                 "keepalive-shaped segment (Cisco community doc) (ref §2.5)",
                 d});
    v.back().unverified = {
        "closed 60 s after an RST (teardown delay)",
        "RST only to inside (client) senders without state (resetoutbound/resetinbound interplay)"};
    FirewallConfig r = c;
    r.on_idle = IdleAction::kResetBoth;  // set connection timeout idle ... reset: "sends a reset to TCP endpoints"
    v.push_back({"cisco-asa-reset", "Cisco ASA with `set connection timeout idle 1:0:0 reset`",
                 "ASA 9.1 config guide: 'the reset keyword sends a reset to TCP endpoints when the connection times "
                 "out' (ref §2.5)",
                 r});
    v.back().unverified = {
        "closed 60 s after an RST (teardown delay)",
        "RST only to inside (client) senders without state (resetoutbound/resetinbound interplay)"};
  }

  {
    FirewallConfig c;
    c.established = s(3600);  // PAN-OS TCP session timeout default 3600 s
    c.syn = s(5);             // TCP timeout before SYN-ACK 5 s (PAN KB TCP control flags)
    c.closing = s(120);       // TCP half-closed 120 s (since 6.1)
    c.time_wait = s(15);      // TCP time-wait 15 s
    c.closed = s(15);         // after an RST: time-wait 15 s
    c.pickup = Pickup::kStrict;            // Reject Non-SYN TCP (default on: UNVERIFIED, widely observed)
    c.on_no_state = NoStateAction::kDrop;  // "PAN-OS closes the session" silently
    v.push_back({"palo-alto", "Palo Alto Networks PAN-OS, default session timeouts",
                 "PAN-OS docs 'Configure Session Timeouts'; KB 'TCP Half Closed and TCP Time Wait Timers' (ref §2.6)",
                 c});
    v.back().unverified = {
        "pickup strict: 'Reject Non-SYN TCP' believed on by default (widely observed)"};
  }

  {
    FirewallConfig c;
    c.established = s(3600);  // config system session-ttl: set default 3600
    c.syn = s(10);            // tcp-halfopen-timer 10
    c.closing = s(120);       // tcp-halfclose-timer 120
    c.time_wait = s(1);       // tcp-timewait-timer 1
    c.closed = s(5);          // tcp-rst-timer 5
    c.pickup = Pickup::kStrict;            // tcp-session-without-syn disable
    c.on_no_state = NoStateAction::kDrop;  // reset-sessionless-tcp disable
    c.on_idle = IdleAction::kForget;       // policy timeout-send-rst disable
    c.refresh_from = Sides::kBoth;         // session-ttl port refresh-direction both (7.4+)
    v.push_back({"fortigate", "Fortinet FortiGate (FortiOS), default session TTL and timers",
                 "FortiOS 6.0 CLI reference session-ttl; config system global defaults; FortiOS 7.6.4 admin guide "
                 "refresh-direction (ref §2.7)",
                 c});
    c.refresh_from = Sides::kClient;  // set refresh-direction outgoing: only original-direction packets refresh
    v.push_back({"fortigate-refresh-outgoing", "FortiGate with session-ttl `refresh-direction outgoing`",
                 "FortiOS 7.6.4 admin guide: sessions refreshed 'in a specified direction' (ref §2.7)", c});
  }

  {
    FirewallConfig c;
    c.established = s(3600);  // TCP session timeout 3600 s (global properties)
    c.syn = s(25);            // TCP start timeout 25 s
    c.closing = s(20);        // TCP end timeout 20 s ("after two FIN packets ... or an RST packet")
    c.time_wait = s(20);
    c.closed = s(20);
    c.pickup = Pickup::kStrict;            // "First packet isn't SYN": out-of-state drop
    c.on_no_state = NoStateAction::kDrop;  // "dropped by the firewall with a 'TCP out of state' message"
    v.push_back({"checkpoint", "Check Point gateway, global default timeouts",
                 "CheckMates thread (global properties); Timothy Hall, CheckMates (ref §2.8)", c});
    v.back().unverified = {
        "keepalives refresh the session (not in a vendor document)"};
  }

  {
    FirewallConfig c;
    c.established = s(1800);  // Junos protocol default TCP 1800 s
    c.syn = s(20);            // tcp-initial-timeout default 20 s
    c.closing = s(150);       // time-wait / half-close default 150 s
    c.time_wait = s(150);
    c.closed = s(10);         // UNVERIFIED: kasim's generic RST timeout
    c.pickup = Pickup::kStrict;            // SYN check on by default: non-SYN first packet dropped
    c.on_no_state = NoStateAction::kDrop;  // zone tcp-rst is not default; expiry itself UNVERIFIED (assumed silent)
    v.push_back({"juniper-srx", "Juniper SRX, protocol default timeouts, SYN check on",
                 "Junos 12.2 'Understanding Policy Application Timeout'; no-syn-check, tcp-rst docs (ref §2.9)", c});
    v.back().unverified = {
        "closed 10 s after an RST: kasim's generic value",
        "packets without state: dropped silently"};
  }

  {
    FirewallConfig c;
    c.established = s(350);  // NLB TCP idle timeout default 350 s (60-6000 configurable)
    c.on_no_state = NoStateAction::kResetSender;  // "If a client or a target sends data after the idle timeout ... it receives a TCP RST"
    c.reset_senders = Sides::kBoth;
    c.refresh_on = RefreshOn::kAny;  // "Clients or targets can use TCP keepalive packets to reset the idle timeout"
    c.pickup = Pickup::kStrict;
    // syn/closing/closed timers are not documented: kasim's generic values (UNVERIFIED).
    v.push_back({"aws-nlb", "AWS Network Load Balancer, TCP listener (client IP preserved: no NAT modelled)",
                 "ELB NLB guide update-idle-timeout.html, network-load-balancers.html (ref §2.10)", c});
    v.back().unverified = {
        "syn, closing, time_wait, closed timeouts: kasim's generic values (not documented)"};
  }
  {
    FirewallConfig c;
    c.established = s(350);  // gateway-listeners.html tcp.idle_timeout.seconds default 350
    c.on_no_state = NoStateAction::kDrop;  // default behaviour UNVERIFIED; send_tcp_reset.on_idle_timeout.enabled=false
    v.push_back({"aws-gwlb", "AWS Gateway Load Balancer, defaults (send_tcp_reset off)",
                 "ELB GWLB guide gateway-listeners.html (ref §2.10)", c});
    v.back().unverified = {
        "packets without state: dropped silently (send_tcp_reset off)",
        "syn, closing, time_wait, closed timeouts: kasim's generic values"};
    c.on_no_state = NoStateAction::kResetSender;  // "sends a TCP reset (RST) to the sender ... or when it receives a non-SYN TCP packet for a flow that is not in the flow table"
    c.on_idle = IdleAction::kForget;              // the reset at expiry goes to "the sender of traffic": next sender modelled
    v.push_back({"aws-gwlb-reset", "AWS GWLB with send_tcp_reset.on_idle_timeout.enabled=true",
                 "ELB GWLB guide gateway-listeners.html (ref §2.10)", c});
    v.back().unverified = {
        "the reset at expiry modelled as an RST to the next sender",
        "syn, closing, time_wait, closed timeouts: kasim's generic values"};
  }
  {
    FirewallConfig c;
    c.established = s(350);  // "Internet connection drops after 350 seconds" (nat-gateway-troubleshooting)
    c.nat.enabled = true;
    c.on_no_state = NoStateAction::kResetSender;  // "returns an RST packet to any resources behind the NAT gateway that attempt to continue"
    c.reset_senders = Sides::kClient;             // inside only; the outside peer's fate is UNVERIFIED (dropped here)
    c.pickup = Pickup::kStrict;
    v.push_back({"aws-nat-gateway", "AWS NAT Gateway (source NAT, 350 s idle, RST to the inside sender)",
                 "AWS VPC doc vpc-nat-comparison.html; nat-gateway-troubleshooting (ref §2.10)", c});
    v.back().unverified = {
        "outside (server) packets after expiry: dropped silently"};
  }
  {
    FirewallConfig c;
    c.established = s(60);  // ALB idle timeout default 60 s
    // "send at least 1 byte of data"; keepalive probes carry no new data and
    // never reach the LB's HTTP layer (it terminates TCP): only new payload counts.
    c.refresh_on = RefreshOn::kNewData;
    // The LB closes both connections at idle expiry. kasim does not model
    // the proxy's own TCP stacks; it resets both ends (approximation: the
    // real LB may close with FIN, third-party report).
    c.on_idle = IdleAction::kResetBoth;
    c.on_no_state = NoStateAction::kResetSender;  // a connection the proxy closed answers with RST
    v.push_back({"aws-alb", "AWS Application Load Balancer, HTTP idle timeout (proxy approximated as an L4 box)",
                 "ALB guide edit-load-balancer-attributes: idle 60 s, 'at least 1 byte of data' (ref §2.10)", c});
    v.back().unverified = {
        "idle expiry modelled as an RST to both ends (the proxy may close with FIN, third-party report)"};
    v.push_back({"aws-clb", "AWS Classic Load Balancer, idle timeout (proxy approximated as an L4 box)",
                 "ELB config-idle-timeout.html: 60 s; 'TCP keep-alive probes do not prevent the load balancer from "
                 "terminating the connection' (ref §2.10)",
                 c});
    v.back().unverified = {
        "idle expiry modelled as an RST to both ends (the proxy may close with FIN, third-party report)"};
  }
  {
    FirewallConfig c;
    c.established = s(350);  // tcpEstablishedTimeout default 350 s for Nitro v6 instance types
    c.on_no_state = NoStateAction::kDrop;  // later packets re-evaluated against rules; dropped if not allowed
    c.pickup = Pickup::kFromClient;        // an outbound-allowed packet passes (default SG allows all egress)
    v.push_back({"aws-sg-nitro-v6", "AWS EC2 security-group connection tracking on Nitro v6 (instance = client side)",
                 "EC2 API ConnectionTrackingConfiguration; EC2 user guide 'Security group connection tracking' (ref §2.10)",
                 c});
    c.established = s(432000);  // 432000 s for all other instance types
    v.push_back({"aws-sg", "AWS EC2 security-group connection tracking, non-Nitro-v6 (instance = client side)",
                 "EC2 API ConnectionTrackingConfiguration tcpEstablishedTimeout (ref §2.10)", c});
  }
  {
    FirewallConfig c;
    c.established = s(350);  // FlowTimeouts TcpIdleTimeoutSeconds default 350
    c.on_no_state = NoStateAction::kDrop;  // "data packets are dropped, however, the next TCP SYN packet is considered a new flow"
    v.push_back({"aws-network-firewall", "AWS Network Firewall, default flow timeout",
                 "AWS Network Firewall FlowTimeouts API (ref §2.10)", c});
  }

  {
    FirewallConfig c;
    c.established = s(240);  // idle timeout default 4 min (4-100 min)
    c.on_no_state = NoStateAction::kDrop;  // "default behavior is to silently drop flows when the idle timeout of a flow is reached"
    c.refresh_on = RefreshOn::kAny;        // keepalives refresh ("TCP reset can reduce the need to send TCP ... keepalives")
    v.push_back({"azure-lb", "Azure Load Balancer (Standard), default rule (no TCP reset on idle)",
                 "azure-docs load-balancer-tcp-reset.md, load-balancer-tcp-idle-timeout.md (ref §2.11)", c});
    c.on_idle = IdleAction::kResetBoth;  // "sends bidirectional TCP Resets ... at the time of idle timeout"
    v.push_back({"azure-lb-tcp-reset", "Azure Load Balancer rule with TCP reset on idle",
                 "azure-docs load-balancer-tcp-reset.md (ref §2.11)", c});
  }
  {
    FirewallConfig c;
    c.established = s(240);  // "TCP idle timeout timer defaults to 4 minutes" (up to 120 min)
    c.nat.enabled = true;
    c.on_no_state = NoStateAction::kResetSender;  // "sends a TCP Reset (RST) packet for any connection flow that it doesn't recognize"
    c.reset_senders = Sides::kBoth;
    c.refresh_on = RefreshOn::kAny;  // "Any activity on a flow can reset the idle timer, including TCP keepalives"
    v.push_back({"azure-nat-gateway", "Azure NAT Gateway (source NAT, 4 min idle, RST for unknown flows)",
                 "azure-docs nat-gateway/nat-overview.md (ref §2.11)", c});
  }
  {
    FirewallConfig c;
    c.established = s(240);  // "Azure Firewall TCP Idle Timeout is four minutes. This setting isn't configurable"
    c.on_no_state = NoStateAction::kDrop;  // expiry action UNVERIFIED
    v.push_back({"azure-firewall", "Azure Firewall (4 min idle; expiry action UNVERIFIED)",
                 "azure-docs firewall FAQ (ref §2.11)", c});
    v.back().unverified = {
        "expiry action: later packets dropped silently"};
  }

  {
    FirewallConfig c;
    c.established = s(600);  // "VPC networks implement 10-minute connection tracking"
    c.syn = s(600);
    c.closing = s(600);
    c.time_wait = s(600);
    c.closed = s(600);
    // "does not allow further inbound packets until at least one new outbound
    // packet has been sent": only the protected VM's (the client's) egress re-creates tracking.
    c.pickup = Pickup::kFromClient;
    c.on_no_state = NoStateAction::kDrop;  // implied deny ingress
    v.push_back({"gcp-vpc-firewall", "Google Cloud VPC firewall connection tracking (the VM is the client)",
                 "Compute Engine troubleshooting page (ref §2.12)", c});
  }
  {
    FirewallConfig c;
    c.established = s(1200);  // RouterNat tcpEstablishedIdleTimeoutSec default 1200
    c.syn = s(30);            // tcpTransitoryIdleTimeoutSec 30
    c.closing = s(30);
    c.closed = s(30);
    c.time_wait = s(120);     // tcpTimeWaitTimeoutSec 120
    c.nat.enabled = true;
    c.on_no_state = NoStateAction::kDrop;  // "silently drops the NAT mapping" (third-party, UNVERIFIED in Google docs)
    v.push_back({"gcp-cloud-nat", "Google Cloud NAT, default timeouts",
                 "Compute API RouterNat; Terraform google provider docs (ref §2.12)", c});
    v.back().unverified = {
        "later packets dropped silently (third-party source, not in Google docs)"};
  }
  {
    FirewallConfig c;
    c.established = s(600);  // internal passthrough NLB connectionTrackingPolicy.idleTimeoutSec minimum/default 10 min
    c.on_no_state = NoStateAction::kDrop;  // UNVERIFIED
    v.push_back({"gcp-internal-nlb", "Google Cloud internal passthrough NLB connection tracking",
                 "Compute API BackendService.connectionTrackingPolicy (ref §2.12)", c});
    v.back().unverified = {
        "expiry action: later packets dropped silently",
        "keepalives refresh the entry"};
    c.established = s(60);  // external passthrough NLB default 60 s
    v.push_back({"gcp-external-nlb", "Google Cloud external passthrough NLB connection tracking",
                 "Compute API BackendService.connectionTrackingPolicy (ref §2.12)", c});
    v.back().unverified = {
        "expiry action: later packets dropped silently",
        "keepalives refresh the entry"};
  }

  {
    FirewallConfig c;
    c.established = s(600);  // "configure your backend software so that its HTTP keepalive (TCP idle) timeout
                             // value is greater than 600 seconds": the LB keeps idle backend connections 600 s
    // A proxy: only application data reaches it; keepalive probes end at
    // its TCP stack and never count (as AWS ALB).
    c.refresh_on = RefreshOn::kNewData;
    c.on_idle = IdleAction::kResetBoth;           // "proxy closes": modelled as an RST to each end
    c.on_no_state = NoStateAction::kResetSender;  // a connection the proxy closed answers with RST
    v.push_back({"gcp-external-alb", "Google Cloud external Application LB, backend side (proxy approximated as an L4 box)",
                 "GCP LB docs via yunke.me/jhanley.com: backend keepalive fixed 600 s; gcpdiag rule lb/BP/2025_002 "
                 "(ref §2.12)",
                 c});
    v.back().unverified = {
        "idle expiry modelled as an RST to both ends (the proxy closes; FIN or RST not documented)",
        "syn, closing, time_wait, closed timeouts: kasim's generic values"};
  }

  {
    FirewallConfig c;
    c.established = s(7440);  // RFC 5382 REQ-5: established idle-timeout MUST NOT be less than 2 h 4 min
    c.syn = s(240);           // REQ-5: transitory idle-timeout MUST NOT be less than 4 min
    c.closing = s(240);
    c.time_wait = s(240);
    c.closed = s(240);        // RFC 7857: keep the session for the transitory timeout after RST (UNVERIFIED)
    c.nat.enabled = true;
    c.nat.preserve_port = false;           // a fresh port for a fresh mapping (port preservation varies, UNVERIFIED)
    c.pickup = Pickup::kFromClient;        // an inside packet (re)creates the mapping (Linux-based gateways, loose=1)
    c.on_no_state = NoStateAction::kDrop;  // unsolicited inbound packets: unspecified, silent here
    v.push_back({"home-nat", "An RFC 5382 (BCP 142) compliant home NAT at the minimum timeouts",
                 "RFC 5382 REQ-5 (ref §2.13); measured home gateways vary widely (ref §2.14)", c});
    v.back().unverified = {
        "closed 240 s after an RST (RFC 7857, from memory)",
        "a fresh port from the seed for a new mapping (port preservation varies)"};
  }
  {
    FirewallConfig c;
    c.established = s(86400);  // ip nat translation tcp-timeout default 86400
    c.closing = s(60);         // finrst-timeout 60
    c.time_wait = s(60);
    c.closed = s(60);
    c.nat.enabled = true;
    c.on_no_state = NoStateAction::kDrop;  // UNVERIFIED
    v.push_back({"cisco-ios-nat", "Cisco IOS NAT translation defaults",
                 "O'Reilly 'Cisco IOS in a Nutshell' (ref §2.14)", c});
    v.back().unverified = {
        "packets without a translation: dropped silently",
        "pickup strict: a non-SYN inside packet creates no translation"};
  }
  {
    FirewallConfig c;
    c.established = s(1800);  // TCP session timeout default 1800 s, range 1-4294967 (cisco.com RV120W emulator page)
    c.nat.enabled = true;     // an SMB router: source NAT of the LAN
    c.on_no_state = NoStateAction::kDrop;  // UNVERIFIED
    v.push_back({"cisco-rv120w", "Cisco RV120W small-business router (NAT, TCP session timeout 1800 s)",
                 "cisco.com RV120W emulator page: TCP session timeout 1800 s (ref §2.14)", c});
    v.back().unverified = {"packets without state: dropped silently",
                           "every packet refreshes the session; pickup strict",
                           "syn, closing, time_wait, closed timeouts: kasim's generic values"};
  }
  {
    FirewallConfig c;
    c.established = s(1200);  // session aging-time tcp 1200 (third-party CLI dump)
    c.syn = s(5);             // syn 5
    c.closing = s(900);       // first-fin 900
    c.time_wait = s(10);      // fin-rst 10
    c.closed = s(10);
    c.on_no_state = NoStateAction::kDrop;  // UNVERIFIED
    v.push_back({"huawei-usg", "Huawei USG firewall session aging (third-party values)",
                 "third-party CLI dump, cnblogs (ref §2.14)", c});
    v.back().unverified = {
        "all timeouts from a third-party CLI dump",
        "packets without state: dropped silently"};
  }
  return v;
}

std::string dur(Time t) { return t.is_never() ? "never" : format_duration(t); }

}  // namespace

std::span<const MiddleboxProfile> middlebox_profiles() {
  static const std::vector<MiddleboxProfile> profiles = build();
  return profiles;
}

const MiddleboxProfile* find_middlebox_profile(std::string_view name) {
  for (const MiddleboxProfile& p : middlebox_profiles())
    if (p.name == name) return &p;
  return nullptr;
}

std::vector<std::string_view> middlebox_profile_names() {
  std::vector<std::string_view> v;
  for (const MiddleboxProfile& p : middlebox_profiles()) v.push_back(p.name);
  return v;
}

std::string describe_firewall_config(const FirewallConfig& c) {
  std::string s = fmt::format("timeouts: established {}, syn {}, closing {}, time_wait {}, closed {}",
                              dur(c.established), dur(c.syn), dur(c.closing), dur(c.time_wait), dur(c.closed));
  s += fmt::format("\n  at idle expiry: {}", idle_action_name(c.on_idle));
  if (c.on_idle == IdleAction::kProbe)
    s += fmt::format(" ({} probes, {} apart)", c.probe_count, dur(c.probe_interval));
  s += fmt::format("; packet without state: {}", no_state_action_name(c.on_no_state));
  if (c.on_no_state == NoStateAction::kResetSender && c.reset_senders != Sides::kBoth)
    s += fmt::format(" ({} side only)", sides_name(c.reset_senders));
  s += fmt::format("\n  refresh: {} packets from {}; pickup: {}", refresh_on_name(c.refresh_on),
                   sides_name(c.refresh_from), pickup_name(c.pickup));
  if (!c.pickup_timeout.is_never()) s += fmt::format(" (capped at {} until a reply)", dur(c.pickup_timeout));
  if (c.window_check != WindowCheck::kOff) s += fmt::format("; window check: {}", window_check_name(c.window_check));
  if (c.max_retrans > 0) s += fmt::format("; {} after {} identical packets", dur(c.retrans_timeout), c.max_retrans);
  if (c.max_entries > 0 || c.adaptive_end > 0 || c.nat.enabled) s += "\n ";
  if (c.max_entries > 0) s += fmt::format(" table: {} entries, when full {};", c.max_entries, when_full_name(c.when_full));
  if (c.adaptive_end > 0) s += fmt::format(" adaptive timeouts {}..{} entries;", c.adaptive_start, c.adaptive_end);
  if (c.nat.enabled)
    s += fmt::format(" source NAT, ports {}-{}{}", c.nat.port_lo, c.nat.port_hi,
                     c.nat.preserve_port ? ", original port first" : ", port from the seed");
  return s;
}

std::string describe_middlebox_profiles() {
  std::string out = "Middlebox profiles (middleboxes: NAME: { profile: NAME, <key>: <override> ... }):\n";
  for (const MiddleboxProfile& p : middlebox_profiles()) {
    out += fmt::format("\n{}: {}\n  {}\n  source: {}\n", p.name, p.summary, describe_firewall_config(p.config),
                       p.sources);
    for (std::string_view u : p.unverified) out += fmt::format("  UNVERIFIED: {}\n", u);
  }
  return out;
}

}  // namespace kasim
