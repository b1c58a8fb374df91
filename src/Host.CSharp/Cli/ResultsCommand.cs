using System.CommandLine;
using Lrbs.Host.Presentation;
using Lrbs.Host.Storage;
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
        var sql = new Argument<string>("SQL") { Description = "A query over the views trials, epochs, manifest, class_predictions, label_predictions and box_predictions, e.g. \"SELECT optimizer, batch_size, avg(test_metric) FROM trials GROUP BY ALL\"." };
        var query = new Command("query", "Run SQL over a results folder (DuckDB) and print a table.") { dir, sql };
        query.SetAction(parse =>
        {
            var result = ResultsReader.Query(parse.GetValue(dir)!, parse.GetValue(sql)!);
            var table = new Table().Border(TableBorder.Simple);
            foreach (var c in result.Columns) table.AddColumn(Markup.Escape(c));
            foreach (var row in result.Rows) table.AddRow(row.Select(v => Markup.Escape(v ?? "NULL")).ToArray());
            Consoles.For(output).Write(table);
            output.WriteLine($"{result.Rows.Count} rows");
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
