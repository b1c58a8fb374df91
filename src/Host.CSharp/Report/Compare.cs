using Lrbs.Core.Analysis;

namespace Lrbs.Host.Report;

/// <summary>A published table (columns optimizer, batch_size, lr, value) beside the measured
/// grid, cell by cell, and what the published numbers reveal about the study's test size.</summary>
public static class Compare
{
    static readonly string[] Columns = ["optimizer", "batch_size", "lr", "value"];
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public sealed record Published(string Optimizer, int BatchSize, double Lr, Fractions.Printed Value, int Line);

    /// <summary>Reads and checks the table against the measured trials; every problem names the file and the line or column.</summary>
    public static IReadOnlyList<Published> Read(string path, IReadOnlyList<TrialRow> trials)
    {
        if (!File.Exists(path)) throw new ReportException($"--compare {path}: file not found");
        var lines = File.ReadAllLines(path).Where(l => l.Trim() != "").ToList();
        if (lines.Count < 2) throw new ReportException($"{path}: expected a header (optimizer,batch_size,lr,value) and at least one row");
        var header = lines[0].Split(',').Select(h => h.Trim()).ToList();
        var unknown = header.Where(h => !Columns.Contains(h)).ToList();
        if (unknown.Count > 0) throw new ReportException($"{path}: unknown column(s) {string.Join(", ", unknown)}; expected exactly {string.Join(", ", Columns)}");
        var absent = Columns.Where(c => !header.Contains(c)).ToList();
        if (absent.Count > 0) throw new ReportException($"{path}: missing column(s) {string.Join(", ", absent)}");
        var rows = new List<Published>();
        for (var i = 1; i < lines.Count; i++)
        {
            var f = lines[i].Split(',').Select(x => x.Trim()).ToArray();
            string At(string c) => f[header.IndexOf(c)];
            if (f.Length != header.Count) throw new ReportException($"{path}: line {i + 1}: {f.Length} fields, the header has {header.Count}");
            if (!int.TryParse(At("batch_size"), NumberStyles.Integer, Inv, out var b)) throw new ReportException($"{path}: line {i + 1}: batch_size '{At("batch_size")}' is not an integer");
            if (!double.TryParse(At("lr"), NumberStyles.Float, Inv, out var lr)) throw new ReportException($"{path}: line {i + 1}: lr '{At("lr")}' is not a number");
            var value = Analyses.Printed(At("value")) ?? throw new ReportException($"{path}: line {i + 1}: value '{At("value")}' is not a number");
            var p = new Published(At("optimizer"), b, lr, value, i + 1);
            if (!trials.Any(t => Matches(t, p)))
                throw new ReportException($"{path}: line {i + 1}: cell (optimizer {p.Optimizer}, batch_size {b}, lr {At("lr")}) is outside the measured grid");
            rows.Add(p);
        }
        return rows;
    }

    static bool Matches(TrialRow t, Published p) => t.Optimizer == p.Optimizer && t.BatchSize == p.BatchSize && Math.Abs(t.Lr - p.Lr) <= 1e-9 * p.Lr;

    public static void Section(Page page, ReportData data, string path, Func<string, string> name)
    {
        var published = Read(path, data.Trials);
        page.Heading(2, $"Comparison with the published table {Path.GetFileName(path)}");
        foreach (var table in published.GroupBy(p => p.Optimizer))
        {
            var cells = table.Select(p =>
            {
                var measured = data.Trials.Where(t => Matches(t, p) && t.Finished && t.TestMetric is not null).Select(t => t.TestMetric!.Value).ToArray();
                return (P: p, Measured: measured.Length > 0 ? Statistics.mean(measured) : double.NaN, TestRows: data.Trials.First(t => Matches(t, p)).TestRows);
            }).ToList();
            var percent = cells.Any(c => c.P.Value.Value > 1.0);
            double Pub(Fractions.Printed v) => percent ? v.Value / 100 : v.Value;
            var printed = cells.Select(c => percent ? new Fractions.Printed(c.P.Value.Value / 100, c.P.Value.Decimals + 2) : c.P.Value).ToArray();
            var maxN = (int)Math.Min(99999, Math.Pow(10, printed.Min(v => v.Decimals)) - 1);
            var candidates = Fractions.consistent(maxN, printed);
            int? n = candidates.Length > 0 ? candidates[0] : null;
            page.Heading(3, $"optimizer {table.Key}");
            page.Table(["batch size", "lr", "published", "measured", "difference", n is null ? "published std. error" : $"published std. error (N = {n})"],
                cells.OrderBy(c => c.P.BatchSize).ThenBy(c => c.P.Lr).Select(c => (IReadOnlyList<string>)[c.P.BatchSize.ToString(), Page.Lr(c.P.Lr),
                    Page.F(Pub(c.P.Value)), Page.F(c.Measured), Page.F(c.Measured - Pub(c.P.Value), "+0.0000;-0.0000"),
                    n is int nn ? Page.F(Statistics.binomialError(Pub(c.P.Value), nn)) : "–"]));
            var diffs = cells.Where(c => double.IsFinite(c.Measured)).Select(c => Math.Abs(c.Measured - Pub(c.P.Value))).ToArray();
            var rows = cells.GroupBy(c => c.P.BatchSize).Where(r => r.Count() > 1 && r.All(c => double.IsFinite(c.Measured))).ToList();
            var agree = rows.Count(r => r.MaxBy(c => Pub(c.P.Value)).P.Lr == r.MaxBy(c => c.Measured).P.Lr);
            var testRows = cells.Select(c => c.TestRows).Distinct().ToList();
            var reveal = n is int k
                ? $"Every published value is a fraction k/N within its printed rounding for N = {k}" +
                  (candidates.Length > 1 ? $" (also for {string.Join(", ", candidates.Skip(1).Take(5))}{(candidates.Length > 6 ? ", ..." : "")}: the table cannot tell these apart)" : "") +
                  $"; about {Fractions.chanceFits(k, printed):0.##} smaller denominators would fit this many values by chance. So the study evaluated on {k} examples (or a multiple of {k}); " +
                  $"this run measured on {string.Join(", ", testRows)} test examples" + (testRows.All(r => r % k == 0) ? " (a multiple)." : ", which is not a multiple: the published numbers come from a smaller test set.")
                : $"No N below {maxN + 1} makes every published value a fraction k/N: the printed rounding leaves the test size open.";
            page.Paragraph($"Mean absolute difference {Page.F(Statistics.mean(diffs))} over {diffs.Length} cells; the best learning rate of a batch size agrees in {agree} of {rows.Count} rows. {reveal}" +
                (percent ? " (The published values are percentages.)" : ""));
        }
    }
}
