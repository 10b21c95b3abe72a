// Command nodenet links the e2e cluster's node, which lives in a network
// namespace of its own, to a control plane that listens on 127.0.0.1 only,
// without a single packet to any other address of this machine:
//
//   - node -> API server: it listens inside the node's namespace (on the
//     `kubernetes` Service IP and on the node IP) and forwards each
//     connection to the API server's loopback port;
//   - API server -> node: it serves kube-apiserver's egress selector for the
//     "cluster" network (HTTP CONNECT over a unix socket, as konnectivity
//     does) and dials the kubelet, pods and Service endpoints from inside the
//     namespace. Targets outside the namespace's own ranges are refused.
//
// The file system is shared between namespaces, so the unix socket is the
// only bridge; nothing routes between them.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	netnsPath := flag.String("netns", "", "path of the node's network namespace (/run/netns/NAME)")
	apiserver := flag.String("apiserver", "", "host:port of kube-apiserver on loopback")
	egress := flag.String("egress-socket", "", "unix socket for kube-apiserver's 'cluster' egress")
	var forwards, allowed listFlag
	flag.Var(&forwards, "forward", "ip:port to listen on inside the namespace, forwarded to --apiserver (repeatable)")
	flag.Var(&allowed, "allow", "CIDR inside the namespace that egress may dial (repeatable)")
	flag.Parse()
	if *netnsPath == "" || *apiserver == "" || *egress == "" || len(allowed) == 0 {
		log.Fatal("nodenet: --netns, --apiserver, --egress-socket and --allow are required")
	}
	if host, _, err := net.SplitHostPort(*apiserver); err != nil || !net.ParseIP(host).IsLoopback() {
		log.Fatalf("nodenet: --apiserver %q must be a loopback host:port", *apiserver)
	}
	ns, err := os.Open(*netnsPath)
	if err != nil {
		log.Fatalf("nodenet: %v", err)
	}
	var nets []*net.IPNet
	for _, c := range allowed {
		_, n, err := net.ParseCIDR(c)
		if err != nil {
			log.Fatalf("nodenet: --allow %q: %v", c, err)
		}
		nets = append(nets, n)
	}
	for _, addr := range forwards {
		var l net.Listener
		err := inNetns(ns, func() (err error) { l, err = net.Listen("tcp", addr); return })
		if err != nil {
			log.Fatalf("nodenet: listen on %s in %s: %v", addr, *netnsPath, err)
		}
		go forward(l, *apiserver)
	}
	_ = os.Remove(*egress)
	ul, err := net.Listen("unix", *egress)
	if err != nil {
		log.Fatalf("nodenet: %v", err)
	}
	go serveEgress(ul, ns, nets)
	log.Printf("nodenet: %s -> %s; egress %s -> %s %v", forwards.String(), *apiserver, *egress, *netnsPath, allowed)

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	<-stop
	_ = ul.Close()
	_ = os.Remove(*egress)
}

// inNetns runs f on an OS thread switched into the namespace. The thread is
// never unlocked, so Go ends it with the goroutine and no other goroutine
// ever runs in the namespace by accident. Sockets keep the namespace they
// were made in, wherever they are used afterwards.
func inNetns(ns *os.File, f func() error) error {
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := unix.Setns(int(ns.Fd()), unix.CLONE_NEWNET); err != nil {
			done <- fmt.Errorf("setns: %v", err)
			return
		}
		done <- f()
	}()
	return <-done
}

func forward(l net.Listener, target string) {
	for {
		c, err := l.Accept()
		if err != nil {
			log.Printf("nodenet: accept on %s: %v", l.Addr(), err)
			return
		}
		go func() {
			defer c.Close()
			up, err := net.DialTimeout("tcp", target, 5*time.Second)
			if err != nil {
				log.Printf("nodenet: %s -> %s: %v", c.RemoteAddr(), target, err)
				return
			}
			defer up.Close()
			splice(c, up)
		}()
	}
}

func serveEgress(l net.Listener, ns *os.File, allowed []*net.IPNet) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go connect(c, ns, allowed)
	}
}

// connect answers one HTTP CONNECT from kube-apiserver's egress dialer.
func connect(c net.Conn, ns *os.File, allowed []*net.IPNet) {
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	req, err := http.ReadRequest(br)
	if err != nil {
		return
	}
	_ = c.SetReadDeadline(time.Time{})
	reply := func(code int, msg string) {
		fmt.Fprintf(c, "HTTP/1.1 %d %s\r\nContent-Length: 0\r\n\r\n", code, msg)
	}
	if req.Method != http.MethodConnect {
		reply(http.StatusMethodNotAllowed, "Method Not Allowed")
		return
	}
	host, _, err := net.SplitHostPort(req.Host)
	ip := net.ParseIP(host)
	if err != nil || ip == nil || !contains(allowed, ip) {
		log.Printf("nodenet: refused CONNECT %s: not inside the node's namespace", req.Host)
		reply(http.StatusForbidden, "Forbidden")
		return
	}
	var up net.Conn
	err = inNetns(ns, func() (err error) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		up, err = (&net.Dialer{}).DialContext(ctx, "tcp", req.Host)
		return
	})
	if err != nil {
		log.Printf("nodenet: CONNECT %s: %v", req.Host, err)
		reply(http.StatusBadGateway, "Bad Gateway")
		return
	}
	defer up.Close()
	if _, err := io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		return
	}
	// Bytes the client sent after its CONNECT request are already buffered.
	if n := br.Buffered(); n > 0 {
		buf, _ := br.Peek(n)
		if _, err := up.Write(buf); err != nil {
			return
		}
	}
	splice(c, up)
}

func contains(nets []*net.IPNet, ip net.IP) bool {
	for _, n := range nets {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// splice copies both ways until either side ends, then closes both.
func splice(a, b net.Conn) {
	var once sync.Once
	closeBoth := func() { once.Do(func() { a.Close(); b.Close() }) }
	go func() { _, _ = io.Copy(a, b); closeBoth() }()
	_, _ = io.Copy(b, a)
	closeBoth()
}
