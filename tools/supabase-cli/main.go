// The Supabase CLI's own migration code (github.com/supabase/cli/pkg, the packages `supabase db push` and
// `supabase migration list` run), driven from tests so that our history rows are checked against what the CLI
// writes and reads, not against our reading of it. Not part of any deployment.
//
//	supabase-cli split                 < file.sql   the statements the CLI records for a file (JSON array)
//	supabase-cli push <db url> <dir>                apply the pending files of <dir> as `supabase db push` does
//	supabase-cli list <db url> <dir>                local and remote versions, and what `db push` would apply (JSON)
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/jackc/pgx/v4"
	"github.com/spf13/afero"
	"github.com/supabase/cli/pkg/migration"
	"github.com/supabase/cli/pkg/parser"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 1 && args[0] == "split" {
		statements, err := parser.SplitAndTrim(os.Stdin)
		if err != nil {
			return err
		}
		return printJSON(nonNil(statements))
	}
	if len(args) != 3 || (args[0] != "push" && args[0] != "list") {
		return fmt.Errorf("usage: supabase-cli split < file.sql | supabase-cli push|list <db url> <migrations dir>")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, args[1])
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	dir, err := filepath.Abs(args[2])
	if err != nil {
		return err
	}
	fsys := afero.NewIOFS(afero.NewBasePathFs(afero.NewOsFs(), filepath.Dir(dir)))
	local, err := migration.ListLocalMigrations(filepath.Base(dir), fsys)
	if err != nil {
		return err
	}
	remote, err := migration.ListRemoteMigrations(ctx, conn)
	if err != nil {
		return err
	}
	pending, pendingErr := migration.FindPendingMigrations(local, remote)
	if args[0] == "list" {
		result := map[string]any{"local": nonNil(local), "remote": nonNil(remote), "pending": nonNil(pending)}
		if pendingErr != nil {
			result["error"] = pendingErr.Error()
		}
		return printJSON(result)
	}
	if pendingErr != nil {
		return fmt.Errorf("%w: %v", pendingErr, pending)
	}
	if err := migration.ApplyMigrations(ctx, pending, conn, fsys); err != nil {
		return err
	}
	return printJSON(map[string]any{"applied": nonNil(pending)})
}

func nonNil(values []string) []string {
	if values == nil {
		return []string{}
	}
	return values
}

func printJSON(value any) error {
	return json.NewEncoder(os.Stdout).Encode(value)
}
