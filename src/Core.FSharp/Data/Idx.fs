/// Reader for the IDX format of MNIST and Fashion-MNIST (plain or gzip), and for
/// a folder holding the four standard files.
module Lrbs.Core.Data.Idx

open System.IO
open System.IO.Compression
open Lrbs.Core.Models

/// An IDX array of unsigned bytes: its dimensions, and its data at `Offset` in `Bytes` (the
/// file's bytes as read, header included, so the data is not copied out).
type IdxArray = { Dims: int[]; Bytes: byte[]; Offset: int }

let private gunzip (path: string) () =
    let raw = File.ReadAllBytes path
    let corrupt why = Error(Malformed(path, $"corrupt or truncated gzip data ({why})"))

    if raw.Length < 18 then
        corrupt $"{raw.Length} bytes: shorter than a gzip header and trailer"
    else
        use gz = new GZipStream(new MemoryStream(raw), CompressionMode.Decompress)
        // The gzip trailer's last 4 bytes hold the uncompressed size mod 2^32 (RFC 1952): the
        // output is allocated once at that size.
        let isize = System.BitConverter.ToUInt32(raw, raw.Length - 4)

        try
            // a damaged trailer must not ask for gigabytes: deflate rarely exceeds 32:1 on images
            use out = new MemoryStream(int (min (uint64 isize) (min (uint64 raw.Length * 32UL) (uint64 System.Array.MaxLength))))
            gz.CopyTo out

            if uint32 out.Length <> isize then corrupt $"{out.Length} bytes decompressed, the trailer says {isize}"
            elif out.Length = int64 out.Capacity then Ok(out.GetBuffer())
            else Ok(out.ToArray())
        with
        | :? InvalidDataException as e -> corrupt e.Message
        | :? IOException as e -> corrupt e.Message // e.g. more than a stream can hold

let private isGzip (path: string) =
    use f = File.OpenRead path
    f.ReadByte() = 0x1f && f.ReadByte() = 0x8b

/// A file's IDX bytes; a gzipped file is decompressed once and its bytes kept in the decoded
/// cache (DecodedCache, keyed by the gzip's content), so later loads skip the gunzip (0.2 s for
/// Fashion-MNIST's training images).
let private readAllBytes (path: string) =
    if isGzip path then
        DecodedCache.getOrDecode "idx v1" (DecodedCache.Content [ path ]) (gunzip path) |> Result.map fst
    else
        Ok(File.ReadAllBytes path)

/// Parses IDX bytes (magic 0x00 0x00 0x08 ndim, then ndim big-endian int32 sizes, then the data).
let parse (path: string) (bytes: byte[]) : Result<IdxArray, DataError> =
    let be (i: int) = (int bytes[i] <<< 24) ||| (int bytes[i + 1] <<< 16) ||| (int bytes[i + 2] <<< 8) ||| int bytes[i + 3]

    if bytes.Length < 4 then
        Error(Malformed(path, $"too short for an IDX header ({bytes.Length} bytes)"))
    elif bytes[0] <> 0uy || bytes[1] <> 0uy then
        Error(Malformed(path, $"wrong magic number 0x{be 0:X8}: an IDX file starts with 00 00"))
    elif bytes[2] <> 0x08uy then
        Error(Malformed(path, $"IDX element type 0x{bytes[2]:X2} is not supported (only 0x08, unsigned byte)"))
    else
        let ndim = int bytes[3]
        let header = 4 + 4 * ndim

        if ndim < 1 || bytes.Length < header then
            Error(Malformed(path, $"truncated header: {ndim} dimensions need {header} bytes, file has {bytes.Length}"))
        else
            let dims = Array.init ndim (fun k -> be (4 + 4 * k))
            let expected = dims |> Array.fold (fun acc d -> acc * int64 d) 1L
            let actual = int64 (bytes.Length - header)

            if dims |> Array.exists (fun d -> d < 0) then
                Error(Malformed(path, $"negative dimension in %A{dims}"))
            elif actual < expected then
                Error(Malformed(path, $"truncated: dimensions %A{dims} need {expected} data bytes, file has {actual}"))
            elif actual > expected then
                Error(Malformed(path, $"{actual - expected} trailing bytes after the {expected} that dimensions %A{dims} describe"))
            else
                Ok { Dims = dims; Bytes = bytes; Offset = header }

/// Reads one IDX file (gzip detected from its first bytes).
let read (path: string) : Result<IdxArray, DataError> =
    if not (File.Exists path) then Error(Missing(path, "")) else readAllBytes path |> Result.bind (parse path)

/// An images file and its labels file, checked against each other: (rows, height, width,
/// pixel bytes, labels). Errors name the file.
let private checkedPair
    (classNames: string[])
    (imagesPath: string, images: Result<IdxArray, DataError>)
    (labelsPath: string, labels: Result<IdxArray, DataError>)
    =
    match images, labels with
    | Error e, _
    | _, Error e -> Error e
    | Ok images, Ok labels ->
        if images.Dims.Length <> 3 then
            Error(Malformed(imagesPath, $"expected 3 dimensions (N x H x W), got %A{images.Dims}"))
        elif labels.Dims.Length <> 1 then
            Error(Malformed(labelsPath, $"expected 1 dimension (N), got %A{labels.Dims}"))
        elif images.Dims[0] <> labels.Dims[0] then
            Error(Malformed(labelsPath, $"{labels.Dims[0]} labels for {images.Dims[0]} images in {imagesPath}"))
        else
            let values = labels.Bytes[labels.Offset ..] |> Array.map int

            match values |> Array.tryFind (fun l -> l >= classNames.Length) with
            | Some bad -> Error(Malformed(labelsPath, $"label {bad} is out of range 0..{classNames.Length - 1}"))
            | None -> Ok(images.Dims[0], images.Dims[1], images.Dims[2], images, values)

/// Reads files in parallel (each a gunzip, unless cached: the train images take most of a load).
let private readAll (paths: string[]) = paths |> Array.Parallel.map (fun p -> p, read p)

let private find (dir: string) (stem: string) = [ stem; stem + ".gz" ] |> List.map (fun f -> Path.Combine(dir, f)) |> List.tryFind File.Exists

/// A folder with the four standard files (train-images-idx3-ubyte, train-labels-idx1-ubyte,
/// t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte; each optionally .gz) as a Source: the
/// official training rows first, then the test rows; pixels stay bytes until a partition asks
/// for a row, which is then scaled to [0, 1] (b / 255 in float32, as Keras's x / 255.0). With
/// `padTo`, images smaller than that side are centred in a frame of zeros of that side
/// (MNIST's 28x28 digits in 32x32, as S1 did).
let sourceFolderPadded (padTo: int option) (name: string) (classNames: string[]) (dir: string) (hint: string) : Result<Source, DataError> =
    let need stem =
        match find dir stem with
        | Some p -> Ok p
        | None -> Error(Missing(Path.Combine(dir, stem + "[.gz]"), hint))

    let paths =
        [ "train-images-idx3-ubyte"; "train-labels-idx1-ubyte"; "t10k-images-idx3-ubyte"; "t10k-labels-idx1-ubyte" ]
        |> List.map need

    match Lrbs.Core.Results.all paths with
    | Error e -> Error e
    | Ok found ->
        let files = found |> Array.ofList |> readAll

        match checkedPair classNames files[0] files[1], checkedPair classNames files[2] files[3] with
        | Error e, _
        | _, Error e -> Error e
        | Ok(_, h, w, _, _), Ok(_, h2, w2, _, _) when (h, w) <> (h2, w2) ->
            Error(Malformed(dir, $"train images are {Shape.Image(1, h, w)} but test images are {Shape.Image(1, h2, w2)}"))
        | Ok(n, h, w, train, trainLabels), Ok(m, _, _, test, testLabels) ->
            let side =
                match padTo with
                | Some s when h <= s && w <= s && (h < s || w < s) -> Some s
                | _ -> None

            let rh, rw =
                match side with
                | Some s -> s, s
                | None -> h, w

            let top, left = (rh - h) / 2, (rw - w) / 2

            let writeRow (i: int) (into: float32[]) (offset: int) =
                let images, j = if i < n then train, i else test, i - n
                let source = images.Offset + j * h * w

                if side.IsSome then
                    System.Array.Fill(into, 0.0f, offset, rh * rw)

                for r in 0 .. h - 1 do
                    let target = offset + (r + top) * rw + left

                    for c in 0 .. w - 1 do
                        into[target + c] <- float32 images.Bytes[source + r * w + c] / 255.0f

            Ok
                {
                    Name = name
                    Input = Shape.Image(1, rh, rw)
                    Count = n + m
                    Targets = Targets.Classes(Array.append trainLabels testLabels, classNames)
                    OfficialTrain = Some n
                    WriteRow = writeRow
                }

/// Every row of sourceFolderPadded, scaled.
let loadFolderPadded padTo name classNames dir hint = sourceFolderPadded padTo name classNames dir hint |> Result.map Source.all

/// loadFolderPadded without padding.
let loadFolder name classNames dir hint = loadFolderPadded None name classNames dir hint
