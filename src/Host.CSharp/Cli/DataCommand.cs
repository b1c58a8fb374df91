using Lrbs.Core.Data;

namespace Lrbs.Host.Cli;

/// <summary>`lrbs data shapes DIR`: writes the generated stand-in image folder for S4/S5.</summary>
public static class DataCommand
{
    public static Command Build(TextWriter output, TextWriter error)
    {
        var dir = new Argument<string>("DIR") { Description = "The folder to create (must not exist or be empty)." };
        var classes = new Option<int>("--classes") { Description = $"Classes, 2..{Shapes.names.Length}: {string.Join(", ", Shapes.names)}.", DefaultValueFactory = _ => 3 };
        var perClass = new Option<int>("--per-class") { Description = "Images per class.", DefaultValueFactory = _ => 300 };
        var size = new Option<int>("--size") { Description = "Side of the images in pixels (>= 8); the loader resizes to image_size.", DefaultValueFactory = _ => 48 };
        var seed = new Option<int>("--seed") { Description = "Seed of the drawing: same seed, same files.", DefaultValueFactory = _ => 1 };
        var shapes = new Command("shapes", "Write a seeded image folder of drawn shapes with noise (one sub-folder per class, half PNG, half JPEG): a stand-in for the animal-faces and traffic-sign folders, which cannot ship here.")
        {
            dir, classes, perClass, size, seed,
        };
        shapes.SetAction(parse =>
        {
            var path = parse.GetValue(dir)!;
            int k = parse.GetValue(classes), n = parse.GetValue(perClass), s = parse.GetValue(size);
            string? problem =
                k < 2 || k > Shapes.names.Length ? $"--classes: expected an integer in 2..{Shapes.names.Length}, got '{k}'" :
                n < 1 ? $"--per-class: expected an integer >= 1, got '{n}'" :
                s < 8 ? $"--size: expected an integer >= 8, got '{s}'" :
                Directory.Exists(path) && Directory.EnumerateFileSystemEntries(path).Any() ? $"{path}: the folder exists and is not empty" :
                File.Exists(path) ? $"{path}: a file is in the way" : null;
            if (problem is not null) { error.WriteLine($"error: {problem}"); return ExitCodes.BadInput; }
            var count = Shapes.write(path, k, n, s, parse.GetValue(seed));
            output.WriteLine($"wrote {count} images of {k} classes ({string.Join(", ", Shapes.names.Take(k))}) to {path}");
            return ExitCodes.Ok;
        });
        var data = new Command("data", "Generate data the studies can run on.");
        data.Subcommands.Add(shapes);
        return data;
    }
}
