/// Results gathered from a list of checks: the first error, or every value in order.
module Lrbs.Core.Results

/// Every value of `results` in order, or the first error among them.
let all (results: Result<'a, 'e> seq) : Result<'a list, 'e> =
    let rec go acc (rest: Result<'a, 'e> list) =
        match rest with
        | [] -> Ok(List.rev acc)
        | Ok v :: tail -> go (v :: acc) tail
        | Error e :: _ -> Error e

    go [] (List.ofSeq results)
