using static Lrbs.Host.Report.SectionHelpers;

namespace Lrbs.Host.Report;

/// <summary>S7's follow-up: the error (1 - the exact IoU, whatever form of 1 - IoU trained) by level, against the true box's smallest side, width and height.</summary>
public static class BoxErrorsSection
{
    static readonly string[] Levels = ["negligible", "low", "medium", "big"];

    public static void Write(Page page, ReportData data, IReadOnlyList<TrialRow> trials, Func<string, string> name)
    {
        var ids = string.Join(", ", trials.Select(t => $"'{t.Id}'"));
        if (data.Parts[ResultsSchema.BoxPredictions.Name] == 0) return;
        var count = data.Query($"SELECT count(*), count(DISTINCT trial_id) FROM box_predictions WHERE trial_id IN ({ids})").Rows[0];
        if (count[0] == "0") return;
        page.Heading(3, "box errors on the test set");
        var byLevel = data.Query($"SELECT level, count(*) FROM box_predictions WHERE trial_id IN ({ids}) GROUP BY 1").Rows
            .ToDictionary(r => r[0]!, r => ReportData.Num(r[1]));
        var total = byLevel.Values.Sum();
        page.Paragraph($"{count[0]} test boxes of {count[1]} trial(s). Error = 1 - the exact IoU (whatever form of 1 - IoU the trials trained on); levels: negligible <= 0.1 < low <= 0.2 < medium <= 0.3 < big.");
        page.Table(["level", "boxes", "share"], Levels.Select(l => (IReadOnlyList<string>)[l, byLevel.GetValueOrDefault(l).ToString("0", Inv),
            Page.F(byLevel.GetValueOrDefault(l) / total, "0.000")]));
        var binRows = data.Query($"SELECT floor(min_side * 128 / 8) * 8 AS side, level, count(*) FROM box_predictions WHERE trial_id IN ({ids}) " +
                "GROUP BY ALL ORDER BY 1, 2").Rows
            .Select(r => (Side: $"{ReportData.Num(r[0]):0}-{ReportData.Num(r[0]) + 7:0}", Level: r[1], Boxes: ReportData.Num(r[2]))).ToList();
        var bins = binRows.Select(b => (object)new { side = b.Side, level = b.Level, boxes = b.Boxes }).ToList();
        var sideOrder = binRows.Select(b => b.Side).Distinct().ToArray();
        page.Add(new Figure(name("box-levels"), Figures.Bars("error level against the smallest side of the true box", bins,
                "side", "smallest side of the true box (pixels)", "boxes", "test boxes", "level", Levels, sideOrder),
            "Test boxes by the true box's smallest side (8-pixel bins) and error level."));
        // at most 3,000 points, the same ones on every run (a committed figure must not change by itself)
        var points = data.Query($"SELECT width, height, error, level FROM box_predictions WHERE trial_id IN ({ids}) ORDER BY hash(trial_id, row) LIMIT 3000").Rows
            .Select(r => (object)new { width = ReportData.Num(r[0]) * 128, height = ReportData.Num(r[1]) * 128, error = ReportData.Num(r[2]), level = r[3] })
            .ToList();
        page.Add(new Figure(name("box-scatter"), Figures.Scatter("error against the true box's width and height", points,
                [("width", "width (pixels)"), ("height", "height (pixels)")], "error", "error (1 - exact IoU)"),
            "Each test box's error against its true width and height (up to 3,000 boxes)."));
    }
}
