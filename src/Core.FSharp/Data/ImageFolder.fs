/// An image-folder dataset: one sub-folder per class (sorted names are the classes), PNG
/// and JPEG images inside, decoded and resized through OpenCV (cached on disk).
module Lrbs.Core.Data.ImageFolder

open System
open System.IO
open Lrbs.Core.Models

let private extensions = [ ".png"; ".jpg"; ".jpeg" ]

/// The image files of a class folder; hidden files are skipped, anything else is an error.
let imageFiles (classDir: string) : Result<string[], DataError> =
    let files = Directory.GetFiles classDir |> Array.filter (fun f -> not (Path.GetFileName(f).StartsWith ".")) |> Array.sort

    match files |> Array.tryFind (fun f -> not (List.contains (Path.GetExtension(f).ToLowerInvariant()) extensions)) with
    | Some f -> Error(Malformed(f, $"""not an image file (allowed: {String.concat ", " extensions})"""))
    | None when files.Length = 0 -> Error(Malformed(classDir, "empty class folder: no PNG or JPEG images"))
    | None -> Ok files

/// Loads `dir` at size x size x 3; also returns how many images were decoded (not cached).
let loadCounting (name: string) (dir: string) (size: int) : Result<Dataset * int, DataError> =
    if not (Directory.Exists dir) then
        Error(Missing(dir, "a folder with one sub-folder of PNG or JPEG images per class"))
    else
        let classes = Directory.GetDirectories dir |> Array.filter (fun d -> not (Path.GetFileName(d).StartsWith ".")) |> Array.sort

        if classes.Length < 2 then
            Error(Malformed(dir, $"needs at least 2 class folders (one sub-folder of images per class), found {classes.Length}"))
        else
            let perClass = classes |> Array.map imageFiles

            match Lrbs.Core.Results.all perClass with
            | Error e -> Error e
            | Ok lists ->
                let files = Array.concat lists
                let labels = lists |> List.mapi (fun c f -> Array.create (Array.length f) c) |> Array.concat

                ImageCache.load files size
                |> Result.map (fun (pixels, decoded) ->
                    {
                        Name = name
                        Input = Shape.Image(3, size, size)
                        X = ImageCache.toChannelsFirst pixels size
                        Targets = Targets.Classes(labels, classes |> Array.map Path.GetFileName)
                        Count = files.Length
                        OfficialTrain = None
                    },
                    decoded)

let load name dir size = loadCounting name dir size |> Result.map fst
