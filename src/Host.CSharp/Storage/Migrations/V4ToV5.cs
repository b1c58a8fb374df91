namespace Lrbs.Host.Storage.Migrations;

/// <summary>lrbs-results/4 to lrbs-results/5: trials gain `early_stopping_monitor`, the loss Keras's
/// EarlyStopping watched: "val_loss" where `early_stopping` is set (the only monitor before the
/// key), null where early stopping was off. Every other table is restamped.</summary>
public static class V4ToV5
{
    public static PartRows Apply(PartRows part)
    {
        if (part.Table != "trials") return RowMigrations.Restamped(part, 5);
        var rows = part.Rows.Select(r => (IReadOnlyDictionary<string, object?>)new Dictionary<string, object?>(RowMigrations.Restamp(r, 5))
        {
            ["early_stopping_monitor"] = r.TryGetValue("early_stopping", out var e) && e is string ? "val_loss" : null,
        }).ToList();
        return new PartRows("trials", ResultsSchema.Trials.Columns.Select(c => c.Name).ToList(), rows);
    }
}
