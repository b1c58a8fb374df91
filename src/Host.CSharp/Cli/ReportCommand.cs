using Lrbs.Host.Report;

namespace Lrbs.Host.Cli;

/// <summary>`lrbs report DIR`: report.html (offline), figures/*.svg and summary.md from a results folder.</summary>
public static class ReportCommand
{
    public static Command Build(TextWriter output, TextWriter error)
    {
        var dir = new Argument<string>("DIR") { Description = "A results folder (trials/, epochs/, ... of Parquet parts)." };
        var outDir = new Option<string?>("--out") { Description = "Folder for report.html, figures/ and summary.md (default: DIR/report)." };
        var compare = new Option<string?>("--compare") { Description = "A published table (CSV: optimizer,batch_size,lr,value) to set beside the measured grid." };
        var slice = new Option<string?>("--slice") { Description = "Learning curves for this slice only: KEY=VALUE,... over dataset, model, optimizer, schedule, batch_size, lr, seed (default: the best lr of each batch size)." };
        var target = new Option<string?>("--target") { Description = "Target test metric for steps-to-target (default: the lowest of the batch sizes' best final metrics)." };
        var tolerance = new Option<string?>("--band-tolerance")
        {
            Description = "The near-optimal band: learning rates whose mean score is within this fraction of the best (0.01: 1%); default: within the noise (the best cell's standard error).",
        };
        var branches = new Option<string?>("--branches")
        {
            Description = "A branched study's results folder (a sweep with a branch section): its CBS at the end of the reference runs fills the branched row of each matching group's critical-batch table.",
        };
        var rulesBase = new Option<int?>("--rules-base") { Description = "The batch size each scaling rule starts from, with its best learning rate (default: each group's smallest); it must be in the grid." };
        var cmd = new Command("report", "Write the study report of a results folder: grids with the best of each column, heat maps, the fitted scaling rule lr* ~ B^k, learning curves, timings, steps to a target, schedule regimes, box errors, failures; every number from the folder's Parquet.")
        {
            dir, outDir, compare, slice, target, tolerance, rulesBase, branches,
        };
        cmd.SetAction(parse =>
        {
            var folder = parse.GetValue(dir)!;
            var outPath = parse.GetValue(outDir) ?? Path.Combine(folder, "report");
            double? goal = null;
            if (parse.GetValue(target) is string t)
                goal = double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var g) ? g : throw new ReportException($"--target: expected a number, got '{t}'");
            double? fraction = null;
            if (parse.GetValue(tolerance) is string tol)
                fraction = double.TryParse(tol, NumberStyles.Float, CultureInfo.InvariantCulture, out var f) && f > 0 && double.IsFinite(f) ? f
                    : throw new ReportException($"--band-tolerance: expected a positive fraction of the best score (0.01 for 1%), got '{tol}'");
            var data = ReportData.Load(folder);
            if (parse.GetValue(rulesBase) is int b0 && !data.Trials.Any(t => t.BatchSize == b0))
                throw new ReportException($"--rules-base: batch size {b0} is not in the grid of {folder} (its batch sizes: {string.Join(", ", data.Trials.Select(t => t.BatchSize).Distinct().Order())})");
            var page = ReportBuilder.Build(data, new ReportOptions(parse.GetValue(slice), goal, parse.GetValue(compare), fraction, parse.GetValue(rulesBase),
                parse.GetValue(branches) is string b ? BranchedStudy.Load(b) : null));
            // everything is computed before anything is written
            var staging = outPath + $".tmp-{Environment.ProcessId}";
            if (Directory.Exists(staging)) Directory.Delete(staging, true);
            var svgs = Figures.Render(page.Figures, Path.Combine(staging, "figures"));
            File.WriteAllText(Path.Combine(staging, "report.html"), page.Html($"lrbs report: {folder}", svgs));
            File.WriteAllText(Path.Combine(staging, "summary.md"), page.Markdown);
            if (BranchSection.Rows(BranchSection.Families(data)) is { Count: > 0 } cbs)
                Lrbs.Host.Storage.ParquetPart.Write(cbs, Path.Combine(staging, "critical_batch.parquet"));
            if (Directory.Exists(outPath)) Directory.Delete(outPath, true);
            Directory.Move(staging, outPath);
            output.WriteLine($"wrote {Path.Combine(outPath, "report.html")}, {Path.Combine(outPath, "summary.md")} and {page.Figures.Count} figures");
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
