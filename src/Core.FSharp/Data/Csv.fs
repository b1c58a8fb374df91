/// Tabular data from a CSV file with a header row: chosen numeric feature columns and a
/// label column of class names (S3: SDSS DR17's alpha, delta, u, g, r, i, z, redshift and
/// `class`). Min-max scaling is fitted later, on the training part only (Dataset.minMaxScale).
module Lrbs.Core.Data.Csv

open System
open System.Globalization
open System.IO
open Lrbs.Core.Models

/// Splits one line on commas (the files this reads have no quoted commas); fields are trimmed.
let private fields (line: string) = line.Split(',') |> Array.map (fun f -> f.Trim().Trim('"'))

/// Reads `path`: each row's features (row-major) and class index. Every problem names the file
/// and, for a row, its line number.
let load (name: string) (path: string) (features: string[]) (label: string) (classes: string[]) : Result<Dataset, DataError> =
    if not (File.Exists path) then
        Error(Missing(path, "a CSV file with a header row"))
    else
        use reader = new StreamReader(path)
        let header = reader.ReadLine()

        if isNull header then
            Error(Malformed(path, "empty file: expected a header row"))
        else
            let names = fields header
            let column (c: string) = Array.IndexOf(names, c)

            match Array.append features [| label |] |> Array.tryFind (fun c -> column c < 0) with
            | Some missing -> Error(Malformed(path, $"""line 1: missing column '{missing}'; the header has {String.concat ", " names}"""))
            | None ->
                let featureAt = features |> Array.map column
                let labelAt = column label
                let x = ResizeArray<float32>()
                let y = ResizeArray<int>()
                let mutable error = None
                let mutable lineNo = 1
                let mutable line = reader.ReadLine()

                while error.IsNone && not (isNull line) do
                    lineNo <- lineNo + 1

                    if line.Trim() <> "" then
                        let row = fields line

                        if row.Length <> names.Length then
                            error <- Some(Malformed(path, $"line {lineNo}: {row.Length} fields, the header has {names.Length}"))
                        else
                            for c, at in Array.zip features featureAt do
                                if error.IsNone then
                                    match Double.TryParse(row[at], NumberStyles.Float, CultureInfo.InvariantCulture) with
                                    | true, v when Double.IsFinite v -> x.Add(float32 v)
                                    | _ -> error <- Some(Malformed(path, $"line {lineNo}: column '{c}' is not a number: '{row[at]}'"))

                            if error.IsNone then
                                match Array.IndexOf(classes, row[labelAt]) with
                                | -1 ->
                                    error <-
                                        Some(Malformed(path, $"""line {lineNo}: unknown {label} '{row[labelAt]}'; allowed: {String.concat ", " classes}"""))
                                | k -> y.Add k

                    line <- reader.ReadLine()

                match error with
                | Some e -> Error e
                | None when y.Count = 0 -> Error(Malformed(path, "no data rows after the header"))
                | None ->
                    Ok
                        {
                            Name = name
                            Input = Shape.Vector features.Length
                            X = x.ToArray()
                            Targets = Targets.Classes(y.ToArray(), classes)
                            Count = y.Count
                            OfficialTrain = None
                        }
