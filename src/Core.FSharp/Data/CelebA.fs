/// A CelebA-style attribute dataset: an attribute file (list_attr_celeba.txt as published:
/// a count line, a line of attribute names, then `image v1 v2 ...` with -1/1; or Kaggle's
/// list_attr_celeba.csv with a header) and the images beside it (in img_align_celeba/ or the
/// folder itself). Images marked Blurry are removed; the chosen attributes, mapped to 0/1,
/// are the multi-label target.
module Lrbs.Core.Data.CelebA

open System
open System.IO
open Lrbs.Core.Models

/// The attributes predicted when `labels` is not given (docs/studies.md, S6).
let defaultLabels = [ "Eyeglasses"; "Male"; "Smiling" ]

let private attributeFile (dir: string) =
    [ "list_attr_celeba.txt"; "list_attr_celeba.csv" ]
    |> List.map (fun f -> Path.Combine(dir, f))
    |> List.tryFind File.Exists

let private imageFolder (dir: string) =
    [ Path.Combine(dir, "img_align_celeba", "img_align_celeba"); Path.Combine(dir, "img_align_celeba"); dir ]
    |> List.find Directory.Exists

/// (attribute names, rows of (line number, image name, values)) of either format.
let private parse (path: string) : Result<string[] * (int * string * int[])[], DataError> =
    let lines = File.ReadAllLines path
    let csv = path.EndsWith ".csv"

    let split (l: string) =
        if csv then
            l.Split(',') |> Array.map (fun s -> s.Trim())
        else
            l.Split([| ' '; '\t' |], StringSplitOptions.RemoveEmptyEntries)

    let names, first, declared =
        if csv then
            (if lines.Length > 0 then (split lines[0])[1..] else [||]), 1, None
        else
            (if lines.Length > 1 then split lines[1] else [||]), 2, (if lines.Length > 0 then Some(lines[0].Trim()) else None)

    if names.Length = 0 then
        Error(Malformed(path, "no attribute names (line 2 of the .txt form, the header of the .csv form)"))
    else
        let rows = ResizeArray()
        let mutable error = None

        for i in first .. lines.Length - 1 do
            if error.IsNone && lines[i].Trim() <> "" then
                let f = split lines[i]

                if f.Length <> names.Length + 1 then
                    error <- Some(Malformed(path, $"line {i + 1}: {f.Length - 1} values for {names.Length} attributes"))
                else
                    let values =
                        f[1..]
                        |> Array.map (fun v ->
                            match v with
                            | "1" -> 1
                            | "-1" -> 0
                            | _ -> -1)

                    match Array.tryFindIndex ((=) -1) values with
                    | Some j -> error <- Some(Malformed(path, $"line {i + 1}: attribute {names[j]} is '{f[j + 1]}'; allowed: -1, 1"))
                    | None -> rows.Add((i + 1, f[0], values))

        match error, declared with
        | Some e, _ -> Error e
        | None, Some d when d <> string rows.Count -> Error(Malformed(path, $"line 1 declares {d} images, the file lists {rows.Count}"))
        | None, _ -> Ok(names, rows.ToArray())

/// Loads `dir` at size x size x 3 with the `labels` attributes (default: defaultLabels).
let load (name: string) (dir: string) (size: int) (labels: string list) : Result<Dataset, DataError> =
    match attributeFile dir with
    | None -> Error(Missing(Path.Combine(dir, "list_attr_celeba.txt"), "a CelebA folder: the attribute file and img_align_celeba/"))
    | Some path ->
        parse path
        |> Result.bind (fun (names, rows) ->
            let labels = if labels.IsEmpty then defaultLabels else labels
            let column (a: string) = Array.IndexOf(names, a)

            match labels |> List.tryFind (fun l -> column l < 0), column "Blurry" with
            | Some l, _ -> Error(Malformed(path, $"""no attribute '{l}'; the file has {String.concat ", " names}"""))
            | None, -1 -> Error(Malformed(path, "no Blurry attribute: blurry images cannot be removed"))
            | None, blurry ->
                let kept = rows |> Array.filter (fun (_, _, v) -> v[blurry] = 0)
                let images = imageFolder dir
                let files = kept |> Array.map (fun (_, file, _) -> Path.Combine(images, file))

                match Array.tryFindIndex (File.Exists >> not) files with
                | Some i ->
                    let line, file, _ = kept[i]
                    Error(Malformed(files[i], $"image {file} of {Path.GetFileName path} line {line} is not in {images}"))
                | None when files.Length = 0 -> Error(Malformed(path, "no images left once the blurry ones are removed"))
                | None ->
                    let at = labels |> List.map column |> Array.ofList
                    let targets = kept |> Array.collect (fun (_, _, v) -> at |> Array.map (fun j -> float32 v[j]))

                    ImageCache.load files size
                    |> Result.map (fun (pixels, _) ->
                        {
                            Name = name
                            Input = Shape.Image(3, size, size)
                            X = ImageCache.toChannelsFirst pixels size
                            Targets = Targets.MultiLabel(targets, Array.ofList labels)
                            Count = files.Length
                            OfficialTrain = None
                        }))
