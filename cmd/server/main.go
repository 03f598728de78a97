// Command server serves the five APIs (see README.md). Subcommands:
//
//	server [serve]                                   serve HTTP (the default)
//	server migrate                                   apply database migrations and exit
//	server emailcode set-role --email E --role R     give an email-code user a role (user, admin)
//	server betterauth set-role --email E --role R    give a Better Auth user a role (user, admin, or a comma list)
//	server custodian set-admin --email E [--revoke]  make a Custodian user an admin (or no longer)
//	server betterauth create-api-key --email E [--name N] [--prefix P] [--no-rate-limit] [--remaining N]
//	                                                 create an API key for a Better Auth user and print it
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"gatehouse/db"
	"gatehouse/db/pgembed"
	"gatehouse/handlers"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
}

const usage = `usage: server [serve | migrate | emailcode set-role --email E --role R | betterauth set-role --email E --role R | custodian set-admin --email E [--revoke]]`

func run(args []string) error {
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	if cmd == "help" || cmd == "-h" || cmd == "--help" {
		fmt.Println(usage)
		return nil
	}
	s, err := loadSettings(os.Getenv)
	if err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	level := s.LogLevel
	if (cmd == "emailcode" || cmd == "betterauth" || cmd == "custodian") && os.Getenv("LOG_LEVEL") == "" {
		level = "warn" // admin commands print their result, not the start-up chatter
	}
	logger := newLogger(level)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch cmd {
	case "serve":
		return serve(ctx, s, logger)
	case "migrate":
		return withDatabase(ctx, s, logger, true, func(*db.Store) error { return nil })
	case "emailcode":
		return setRoleCommand(ctx, s, logger, cmd, "user|admin", args, setEmailcodeRole)
	case "betterauth":
		if len(args) > 0 && args[0] == "create-api-key" {
			return createAPIKeyCommand(ctx, s, logger, args[1:])
		}
		return setRoleCommand(ctx, s, logger, cmd, "user|admin (or a comma list)", args, setBetterauthRole)
	case "custodian":
		return setAdminCommand(ctx, s, logger, args)
	default:
		return fmt.Errorf("unknown command %q\n%s", cmd, usage)
	}
}

func newLogger(level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: l}))
}

// withDatabase gets the database (DATABASE_URL, or the embedded cluster in DATA_DIR), applies
// the migrations, runs fn, and stops the embedded cluster afterwards. With attach, an embedded
// cluster that a running server owns is used as it is.
func withDatabase(ctx context.Context, s settings, logger *slog.Logger, attach bool, fn func(*db.Store) error) error {
	url := s.DatabaseURL
	if url == "" {
		dir, err := filepath.Abs(s.DataDir)
		if err != nil {
			return err
		}
		cluster, err := pgembed.Start(ctx, pgembed.Options{Dir: dir, Logger: logger})
		if errors.Is(err, pgembed.ErrInUse) && attach {
			// A server runs on this folder: admin commands use its cluster.
			cluster, err = pgembed.Attach(ctx, dir)
		}
		if err != nil {
			return err
		}
		defer func() {
			stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			if err := cluster.Stop(stopCtx); err != nil {
				logger.Error("stop embedded postgres", "err", err)
			}
		}()
		if url, err = ensureDatabase(ctx, cluster, "gatehouse"); err != nil {
			return err
		}
	}
	if err := db.Migrate(ctx, url, logger); err != nil {
		return err
	}
	store, err := db.Open(ctx, url)
	if err != nil {
		return err
	}
	defer store.Close()
	return fn(store)
}

// ensureDatabase creates the named database in the embedded cluster on first start.
func ensureDatabase(ctx context.Context, cluster *pgembed.Cluster, name string) (string, error) {
	conn, err := pgx.Connect(ctx, cluster.ConnString("postgres"))
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return "", err
	}
	if !exists {
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
			return "", err
		}
	}
	return cluster.ConnString(name), nil
}

func newApp(ctx context.Context, s settings, logger *slog.Logger, store *db.Store) (*handlers.App, error) {
	if err := s.secret(); err != nil {
		return nil, err
	}
	return handlers.New(ctx, s.App, handlers.Deps{Store: store, Logger: logger})
}

func serve(ctx context.Context, s settings, logger *slog.Logger) error {
	return withDatabase(ctx, s, logger, false, func(store *db.Store) error {
		app, err := newApp(ctx, s, logger, store)
		if err != nil {
			return err
		}
		srv := &http.Server{
			Addr:              s.Addr,
			Handler:           app.Handler(),
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       60 * time.Second,
			WriteTimeout:      s.App.RequestTimeout + 30*time.Second,
			IdleTimeout:       120 * time.Second,
			ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		}
		bgCtx, stopBackground := context.WithCancel(context.WithoutCancel(ctx))
		bgDone := make(chan struct{})
		go func() { app.Run(bgCtx); close(bgDone) }()

		if s.DebugAddr != "" {
			go serveDebug(s.DebugAddr, logger)
		}
		errc := make(chan error, 1)
		go func() { errc <- srv.ListenAndServe() }()
		logger.Info("serving", "addr", s.Addr, "base_url", s.App.BaseURL, "env", s.Env)
		select {
		case err := <-errc:
			stopBackground()
			<-bgDone
			return err
		case <-ctx.Done():
		}
		logger.Info("shutting down: finishing in-flight requests", "timeout", s.ShutdownTimeout.String())
		shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.ShutdownTimeout)
		defer cancel()
		err = srv.Shutdown(shutCtx)
		stopBackground() // the dispatcher drains what is due before it returns
		<-bgDone
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("shutdown: %w", err)
		}
		logger.Info("stopped")
		return nil
	})
}

// setRoleCommand runs "<api> set-role --email E --role R" through set, which
// returns the line to print.
func setRoleCommand(ctx context.Context, s settings, logger *slog.Logger, api, roles string, args []string,
	set func(ctx context.Context, app *handlers.App, email, role string) (string, error)) error {
	if len(args) == 0 || args[0] != "set-role" {
		return fmt.Errorf("usage: server %s set-role --email E --role %s", api, roles)
	}
	fs := flag.NewFlagSet(api+" set-role", flag.ContinueOnError)
	email := fs.String("email", "", "the user's email address")
	role := fs.String("role", "admin", roles)
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *email == "" {
		return fmt.Errorf("%s set-role: --email is required", api)
	}
	return withDatabase(ctx, s, logger, true, func(store *db.Store) error {
		app, err := newApp(ctx, s, logger, store)
		if err != nil {
			return err
		}
		line, err := set(ctx, app, *email, *role)
		if err != nil {
			return err
		}
		fmt.Println(line)
		return nil
	})
}

// setEmailcodeRole gives an email-code user a role.
func setEmailcodeRole(ctx context.Context, app *handlers.App, email, role string) (string, error) {
	u, err := app.EmailCode.SetRole(ctx, email, role)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s (%s) now has role %s", *u.Email, u.ID, u.Role), nil
}

// setBetterauthRole gives a Better Auth user a role.
func setBetterauthRole(ctx context.Context, app *handlers.App, email, role string) (string, error) {
	u, err := app.BetterAuth.SetRole(ctx, email, role)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s (%s) now has role %s", u.Email, u.ID, *u.Role), nil
}

// setAdminCommand runs "custodian set-admin --email E [--revoke]".
func setAdminCommand(ctx context.Context, s settings, logger *slog.Logger, args []string) error {
	if len(args) == 0 || args[0] != "set-admin" {
		return errors.New("usage: server custodian set-admin --email E [--revoke]")
	}
	fs := flag.NewFlagSet("custodian set-admin", flag.ContinueOnError)
	email := fs.String("email", "", "the user's email address")
	revoke := fs.Bool("revoke", false, "take the admin right away instead")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *email == "" {
		return errors.New("custodian set-admin: --email is required")
	}
	return withDatabase(ctx, s, logger, true, func(store *db.Store) error {
		app, err := newApp(ctx, s, logger, store)
		if err != nil {
			return err
		}
		u, err := app.Custodian.SetAdmin(ctx, *email, !*revoke)
		if err != nil {
			return err
		}
		fmt.Printf("%s (%d) admin: %t\n", u.Email, u.ID, u.IsAdmin)
		return nil
	})
}

// createAPIKeyCommand runs "betterauth create-api-key": an API key made server-side, with
// what clients may not choose (no rate limit, a number of uses), printed alone on stdout.
func createAPIKeyCommand(ctx context.Context, s settings, logger *slog.Logger, args []string) error {
	fs := flag.NewFlagSet("betterauth create-api-key", flag.ContinueOnError)
	email := fs.String("email", "", "the user's email address")
	name := fs.String("name", "", "the key's name")
	prefix := fs.String("prefix", "", "the key's prefix")
	noLimit := fs.Bool("no-rate-limit", false, "no per-key rate limit (default: 10 requests a day)")
	remaining := fs.Int("remaining", -1, "the number of uses (default: unlimited)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *email == "" {
		return fmt.Errorf("betterauth create-api-key: --email is required")
	}
	return withDatabase(ctx, s, logger, true, func(store *db.Store) error {
		app, err := newApp(ctx, s, logger, store)
		if err != nil {
			return err
		}
		_, key, err := app.BetterAuth.CreateAPIKeyForEmail(ctx, *email, *name, *prefix, *noLimit, *remaining)
		if err != nil {
			return err
		}
		fmt.Println(key)
		return nil
	})
}

// serveDebug serves Go's profiler on a loopback address of its own (DEBUG_ADDR), never on ADDR.
func serveDebug(addr string, logger *slog.Logger) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	logger.Info("debug listener", "addr", addr)
	if err := srv.ListenAndServe(); err != nil {
		logger.Error("debug listener", "err", err)
	}
}
