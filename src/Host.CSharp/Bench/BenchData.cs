using Lrbs.Core.Data;

namespace Lrbs.Host.Bench;

/// <summary>Exports lrbs's own training rows for the peers (reference/bench/README.md): bytes of
/// pixels (the inputs times 1/scale, exact for 8-bit images and binary boxes), targets, meta.json.</summary>
public static class BenchData
{
    public static void Export(Dataset train, string dir)
    {
        Directory.CreateDirectory(dir);
        var scale = train.Name == "boxes" ? 1.0 : 1.0 / 255.0;
        var bytes = new byte[train.X.Length];
        for (var i = 0; i < bytes.Length; i++) bytes[i] = (byte)Math.Round(train.X[i] / scale);
        File.WriteAllBytes(Path.Combine(dir, "x.u8"), bytes);
        var (targets, y) = train.Targets switch
        {
            Targets.Classes c => ("classes", c.labels.SelectMany(l => BitConverter.GetBytes((long)l)).ToArray()),
            Targets.Boxes b => ("boxes", b.values.SelectMany(BitConverter.GetBytes).ToArray()),
            _ => throw new NotSupportedException("the bench exports class and box targets"),
        };
        File.WriteAllBytes(Path.Combine(dir, "y.bin"), y);
        var shape = train.Input switch
        {
            Lrbs.Core.Models.Shape.Image im => new[] { im.channels * im.height * im.width },
            Lrbs.Core.Models.Shape.Vector v => new[] { v.features },
            _ => throw new NotSupportedException(),
        };
        File.WriteAllText(Path.Combine(dir, "meta.json"), JsonSerializer.Serialize(new { rows = train.Count, shape, scale, targets }));
    }
}
