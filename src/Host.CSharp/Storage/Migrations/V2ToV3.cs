namespace Lrbs.Host.Storage.Migrations;

/// <summary>lrbs-results/2 to lrbs-results/3.
/// <list type="bullet">
/// <item>Trials: columns that version 2 added without a new version are filled where older parts
/// lack them, with what was true when those parts were written: <c>box_loss</c> "exact" for box
/// targets (the only form before the key; null for other targets), <c>eval_batches</c> "all" (the
/// only evaluation before the key; now never null), <c>resumed_epochs</c> 0 (no trial resumed before
/// checkpoints; now never null), <c>blas</c> null (not recorded). <c>finished_at</c> is UTC in
/// microseconds (some parts stored milliseconds, some microseconds; both were UTC).</item>
/// <item>Predictions: <c>predictions/</c> held one of three row kinds; each kind is now a table of its
/// own (<c>class_predictions</c>, <c>label_predictions</c>, <c>box_predictions</c>), so that a folder
/// with two kinds still has one schema per table.</item>
/// <item>Every table: <c>schema</c> is lrbs-results/3.</item>
/// </list></summary>
public static class V2ToV3
{
    public static PartRows Apply(PartRows part)
    {
        var table = part.Table == "predictions" ? PredictionKind(part.Columns) : part.Table;
        var rows = part.Rows.Select(r => table == "trials" ? Trial(r) : RowMigrations.Restamp(r, 3)).ToList();
        return new PartRows(table, ResultsSchema.Table(table).Columns.Select(c => c.Name).ToList(), rows);
    }

    /// <summary>The prediction table a version-2 predictions part belongs to, from its columns.</summary>
    public static string PredictionKind(IReadOnlyCollection<string> columns) =>
        columns.Contains("confidence") ? "class_predictions"
        : columns.Contains("truth") ? "label_predictions"
        : columns.Contains("iou") ? "box_predictions"
        : throw new MigrationException($"a predictions part with none of confidence, truth or iou among its columns ({string.Join(", ", columns)}): not one of lrbs's kinds");

    static Dictionary<string, object?> Trial(IReadOnlyDictionary<string, object?> old)
    {
        var row = RowMigrations.Restamp(old, 3);
        if (!row.TryGetValue("box_loss", out var boxLoss) || boxLoss is null)
            row["box_loss"] = Equals(row.GetValueOrDefault("metric"), "iou") ? "exact" : null;
        if (row.GetValueOrDefault("eval_batches") is null) row["eval_batches"] = "all";
        if (row.GetValueOrDefault("resumed_epochs") is null) row["resumed_epochs"] = 0;
        row.TryAdd("blas", null);
        if (row.GetValueOrDefault("finished_at") is DateTime t)
            row["finished_at"] = new DateTime(t.Ticks - t.Ticks % 10, DateTimeKind.Utc);
        return row;
    }
}
