//go:build !js

package workerd

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Options say what to run.
type Options struct {
	Dir     string // make worker-build's output: entry.mjs, build/, assets/, workerd.capnp.in
	Workerd string // the workerd binary (npm's, pinned)
	State   string // where Durable Objects keep their state; kept across Start calls
	Address string // listen address, host:port (port 0: a free one)
	// The Worker's secrets and variables.
	ClientID, ClientSecret, TokenKey, OAuthURL string
	Log                                        io.Writer // workerd's output; nil: discarded
}

// Process is a running workerd.
type Process struct {
	URL  string // http://host:port
	cmd  *exec.Cmd
	done chan error
}

// Start writes workerd's config into Dir and starts workerd, and returns once it
// accepts connections.
func Start(o Options) (*Process, error) {
	addr, err := listenAddress(o.Address)
	if err != nil {
		return nil, err
	}
	config, err := writeConfig(o, addr)
	if err != nil {
		return nil, err
	}
	bin, err := filepath.Abs(o.Workerd)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve", config, "--experimental")
	cmd.Dir = o.Dir
	log := o.Log
	if log == nil {
		log = io.Discard
	}
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("workerd: %w", err)
	}
	p := &Process{URL: "http://" + addr, cmd: cmd, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait() }()
	if err := p.waitListening(addr); err != nil {
		return nil, err
	}
	return p, nil
}

// listenAddress is address with a free port in place of port 0.
func listenAddress(address string) (string, error) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return "", err
	}
	if port == "0" {
		l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			return "", err
		}
		_, port, _ = net.SplitHostPort(l.Addr().String())
		l.Close()
	}
	return net.JoinHostPort(host, port), nil
}

// writeConfig fills Dir's workerd.capnp.in into workerd.capnp, and returns its path.
// The config is written with mode 0600: it holds the secrets.
func writeConfig(o Options, addr string) (string, error) {
	tmpl, err := os.ReadFile(filepath.Join(o.Dir, "workerd.capnp.in"))
	if err != nil {
		return "", fmt.Errorf("workerd: %w (run make worker-build first)", err)
	}
	build, _ := os.ReadFile(filepath.Join(o.Dir, "BUILD_ID"))
	if err := os.MkdirAll(o.State, 0o700); err != nil {
		return "", err
	}
	assets, _ := filepath.Abs(filepath.Join(o.Dir, "assets"))
	state, _ := filepath.Abs(o.State)
	values := map[string]string{
		"@ASSETS@": assets, "@STATE@": state, "@ADDRESS@": addr,
		"@CLIENT_ID@": o.ClientID, "@CLIENT_SECRET@": o.ClientSecret, "@TOKEN_KEY@": o.TokenKey,
		"@OAUTH_URL@": o.OAuthURL, "@BUILD_ID@": strings.TrimSpace(string(build)),
	}
	config := string(tmpl)
	for k, v := range values {
		if strings.ContainsAny(v, "\"\\\n") {
			return "", fmt.Errorf("workerd: %s cannot hold a quote, backslash or newline", k)
		}
		config = strings.ReplaceAll(config, k, v)
	}
	path, _ := filepath.Abs(filepath.Join(o.Dir, "workerd.capnp"))
	return path, os.WriteFile(path, []byte(config), 0o600)
}

// waitListening returns once workerd accepts connections at addr; if it exits first,
// or is not listening within 20 s (then it is stopped), an error says which.
func (p *Process) waitListening(addr string) error {
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case err := <-p.done:
			return fmt.Errorf("workerd exited before it listened: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.Stop()
			return errors.New("workerd did not listen within 20 s")
		}
	}
}

// Stop ends workerd (SIGTERM, then SIGKILL after 3 s) and waits for it.
func (p *Process) Stop() {
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(3 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

// Kill ends workerd at once, as a crash would, and waits for it.
func (p *Process) Kill() {
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.done
}
