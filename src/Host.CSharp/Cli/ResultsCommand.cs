using Lrbs.Host.Presentation;
using Lrbs.Host.Storage.Migrations;
using Spectre.Console;

namespace Lrbs.Host.Cli;

/// <summary>`lrbs results query|migrate|export|schema`: a results folder with SQL, in the current
/// schema, as one file per table, and its columns documented.</summary>
public static class ResultsCommand
{
    public static Command Build(TextWriter output, TextWriter error)
    {
        var results = new Command("results", "Work with a results folder: query it with SQL, migrate older parts, export it as one file per table, print its columns.");
        results.Subcommands.Add(Query(output));
        results.Subcommands.Add(Migrate(output, error));
        results.Subcommands.Add(Export(output));
        results.Subcommands.Add(Schema(output));
        return results;
    }

    static Argument<string> Folder() => new("DIR") { Description = "A results folder (holding trials/, epochs/, ...)." };

    static Command Query(TextWriter output)
    {
        var dir = Folder();
        var sql = new Argument<string>("SQL") { Description = "A DuckDB query over the views trials, epochs, manifest, class_predictions, label_predictions and box_predictions." };
        var format = new Option<string>("--format")
        {
            Description = "table (wide rows are shown one column per line), vertical (always one column per line), csv or json.",
            DefaultValueFactory = _ => "table",
        };
        var query = new Command("query", "Run SQL (DuckDB) over a results folder and print the answer.\n\n" +
            "Views: trials (one row per trial), epochs (one per epoch), manifest (the plan), class_predictions, label_predictions,\n" +
            "box_predictions (with predictions: true). Every column: docs/results.md, or `lrbs results schema`. Examples:\n" +
            "  lrbs results query results/smoke \"SELECT optimizer, batch_size, lr, avg(test_metric) AS metric FROM trials GROUP BY ALL ORDER BY ALL\"\n" +
            "  lrbs results query results/smoke \"SELECT trial_id, epoch, train_loss, test_metric FROM epochs WHERE epoch = 2\" --format csv\n" +
            "  lrbs results query results/smoke \"SELECT * FROM trials LIMIT 1\"            (wide: one column per line)\n" +
            "  lrbs results query results/smoke \"SELECT status, count(*) FROM trials GROUP BY 1\" --format json") { dir, sql, format };
        query.SetAction(parse =>
        {
            var folder = parse.GetValue(dir)!;
            var text = parse.GetValue(sql)!;
            var kind = parse.GetValue(format);
            if (kind is not ("table" or "vertical" or "csv" or "json"))
                throw new InputException($"--format: unknown format '{kind}'{Lrbs.Core.Suggest.hint(kind!, ["table", "vertical", "csv", "json"])}; allowed: table, vertical, csv, json");
            if (kind == "json")
            {
                using var db = ResultsReader.Open(folder);
                QueryText.Json(db.Dicts(text), output);
                return ExitCodes.Ok;
            }
            var result = ResultsReader.Query(folder, text);
            switch (kind)
            {
                case "csv": QueryText.Csv(result, output); break;
                case "vertical": QueryText.Vertical(result, output); break;
                default:
                    if (QueryText.Width(result) <= QueryText.WideAt) QueryText.Table(result, output);
                    else
                    {
                        QueryText.Vertical(result, output);
                        output.WriteLine("(wide rows, shown one column per line; --format table|csv|json to choose)");
                    }
                    break;
            }
            return ExitCodes.Ok;
        });
        return query;
    }

    static Command Migrate(TextWriter output, TextWriter error)
    {
        var dir = Folder();
        var cmd = new Command("migrate", $"Rewrite a results folder's parts written by an older lrbs in this lrbs's schema ({ResultsSchema.Version}), part by part, " +
            "each as durably as a commit: safe to interrupt at any moment and to run again (docs/results.md lists the versions).") { dir };
        cmd.SetAction(parse =>
        {
            var folder = parse.GetValue(dir)!;
            var report = MigrateWithProgress(folder, output);
            foreach (var w in report.Warnings) error.WriteLine($"warning: {w}");
            output.WriteLine(report.Migrated == 0
                ? $"{folder}: all {report.AlreadyCurrent} parts are already {ResultsSchema.Version}; nothing to migrate"
                : $"{folder}: migrated {report.Migrated} parts to {ResultsSchema.Version} ({report.AlreadyCurrent} were already current)");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>Migrates `folder`, printing a line every 10% of its parts.</summary>
    public static MigrationReport MigrateWithProgress(string folder, TextWriter output)
    {
        var shown = -1;
        return Migrator.Run(folder, (done, total) =>
        {
            var tenth = done * 10 / total;
            if (tenth == shown && done != total) return;
            shown = tenth;
            output.WriteLine($"migrating {folder} to {ResultsSchema.Version}: {done} of {total} parts");
        });
    }

    static Command Export(TextWriter output)
    {
        var dir = Folder();
        var to = new Option<string>("--out") { Description = "The folder to write: one file per table (trials, epochs, manifest, and the predictions tables present).", Required = true };
        var format = new Option<string>("--format") { Description = "parquet (with the schema version, lrbs version and every column's meaning in the file's metadata) or csv.", DefaultValueFactory = _ => "parquet" };
        var force = new Option<bool>("--force") { Description = "Replace --out if it exists." };
        var cmd = new Command("export", "Write a results folder as one file per table, rows sorted by trial id (and epoch, row), to hand to a colleague or another tool; " +
            "the same folder exports to the same bytes.") { dir, to, format, force };
        cmd.SetAction(parse =>
        {
            var kind = parse.GetValue(format) switch
            {
                "parquet" => ExportFormat.Parquet,
                "csv" => ExportFormat.Csv,
                var other => throw new InputException($"--format: unknown format '{other}'; allowed: parquet, csv"),
            };
            var files = Exporter.Run(parse.GetValue(dir)!, parse.GetValue(to)!, kind, parse.GetValue(force), CodeVersion.Current);
            foreach (var f in files) output.WriteLine($"wrote {f}");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    static Command Schema(TextWriter output)
    {
        var cmd = new Command("schema", "Print every results table and column (type, unit, nullable, meaning) as Markdown: docs/results.md is this output.");
        cmd.SetAction(_ =>
        {
            output.Write(SchemaDoc.Markdown());
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
