using System.CommandLine;
using Lrbs.Host.Presentation;
using Lrbs.Host.Storage;
using Spectre.Console;

namespace Lrbs.Host.Cli;

/// <summary>`lrbs results query DIR SQL`: SQL over a results folder, printed as a table.</summary>
public static class ResultsCommand
{
    public static Command Build(TextWriter output, TextWriter error)
    {
        var dir = new Argument<string>("DIR") { Description = "A results folder (holding trials/ and epochs/)." };
        var sql = new Argument<string>("SQL") { Description = "A query over the views `trials` and `epochs`, e.g. \"SELECT optimizer, avg(test_accuracy) FROM trials GROUP BY 1\"." };
        var query = new Command("query", "Run SQL over a results folder (DuckDB) and print a table.") { dir, sql };
        query.SetAction(parse =>
        {
            var folder = parse.GetValue(dir)!;
            var result = ResultsReader.Query(folder, parse.GetValue(sql)!);
            var table = new Table().Border(TableBorder.Simple);
            foreach (var c in result.Columns) table.AddColumn(Markup.Escape(c));
            foreach (var row in result.Rows) table.AddRow(row.Select(v => Markup.Escape(v ?? "NULL")).ToArray());
            Consoles.For(output).Write(table);
            output.WriteLine($"{result.Rows.Count} rows");
            return ExitCodes.Ok;
        });
        var results = new Command("results", "Work with a results folder.");
        results.Subcommands.Add(query);
        return results;
    }
}
