namespace Lrbs.Host.Storage.Migrations;

/// <summary>lrbs-results/3 to lrbs-results/4: trials gain `test_limit` (null: every trial before
/// the key evaluated its whole test partition), `chance_metric` (the test metric of the best
/// constant prediction on the trial's test rows, computed from its data by the context; null where
/// the data is not on this machine) and `collapsed` (Collapse.collapsed on the row, its epochs'
/// first and last training loss and that chance level: null where the chance level is unknown and
/// the loss alone does not tell). The manifest gains `search` (null: not recorded). Every other
/// table is restamped.</summary>
public static class V3ToV4
{
    public static PartRows Apply(PartRows part, IMigrationContext context)
    {
        if (part.Table == "manifest")
            return new PartRows("manifest", ResultsSchema.Manifest.Columns.Select(c => c.Name).ToList(),
                part.Rows.Select(r => (IReadOnlyDictionary<string, object?>)new Dictionary<string, object?>(RowMigrations.Restamp(r, 4)) { ["search"] = null }).ToList());
        if (part.Table != "trials") return RowMigrations.Restamped(part, 4);
        var rows = part.Rows.Select(r => (IReadOnlyDictionary<string, object?>)Trial(r, context)).ToList();
        return new PartRows("trials", ResultsSchema.Trials.Columns.Select(c => c.Name).ToList(), rows);
    }

    static Dictionary<string, object?> Trial(IReadOnlyDictionary<string, object?> old, IMigrationContext context)
    {
        var row = RowMigrations.Restamp(old, 4);
        row["test_limit"] = null;
        var chance = context.Chance(old);
        row["chance_metric"] = chance;
        var losses = context.Epochs((string)old["trial_id"]!)
            .OrderBy(e => Convert.ToInt32(e["epoch"]))
            .Select(e => e["train_loss"] is double d ? d : double.NaN).ToList();
        var finished = old["status"] is "ok" or "stopped_early";
        var collapsed = Stored.Collapsed(finished, old["test_metric"] as double? ?? double.NaN, chance ?? double.NaN,
            Convert.ToInt32(old["test_rows"]), losses.ToArray());
        row["collapsed"] = collapsed;
        return row;
    }
}
