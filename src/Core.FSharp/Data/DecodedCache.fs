/// Decoded data kept on disk, so that a process does its decoding (gunzip, image decoding) once
/// and every later one reads plain bytes. An entry's name hashes a kind with its format version
/// and its sources: by their content (`Content`: a few large files, e.g. the IDX files, whose
/// SHA-256 is a fraction of the 0.2 s gunzip it saves) or by each file's path and identity as the
/// kernel keeps it (`Identities`: many small files, e.g. an image folder, where opening and reading
/// every one on every start would cost seconds for a large folder; FileIdentity: device, inode,
/// size, mtime and the ctime no user can set, so a replacement of the same size and time is
/// still a changed source). Where the kernel does not tell a file's identity, its content is
/// hashed instead. A changed source makes a new entry.
/// Each entry ends with the SHA-256 of its content; an entry that does not check out (truncated
/// or damaged) is decoded again from its sources and rewritten, never used. The folder is
/// $LRBS_CACHE, else $XDG_CACHE_HOME/lrbs, else ~/.cache/lrbs.
module Lrbs.Core.Data.DecodedCache

open System
open System.IO
open System.Security.Cryptography
open System.Text

let folder () =
    let set (v: string) = not (String.IsNullOrEmpty v)

    match Environment.GetEnvironmentVariable "LRBS_CACHE", Environment.GetEnvironmentVariable "XDG_CACHE_HOME" with
    | dir, _ when set dir -> dir
    | _, xdg when set xdg -> Path.Combine(xdg, "lrbs")
    | _ -> Path.Combine(Environment.GetFolderPath Environment.SpecialFolder.UserProfile, ".cache", "lrbs")

/// What an entry is keyed by.
type Sources =
    /// The files' bytes.
    | Content of files: string list
    /// Each file's full path and identity (FileIdentity; the content where it has none).
    | Identities of files: string seq

/// The entry's path for `kind` (with its format version) decoded from `sources`.
let path (kind: string) (sources: Sources) =
    let text = StringBuilder(kind)

    let content (f: string) =
        use stream = File.OpenRead f
        Convert.ToHexString(SHA256.HashData stream)

    match sources with
    | Content files ->
        for f in files do
            text.Append('|').Append(content f) |> ignore
    | Identities files ->
        for f in files do
            let full = Path.GetFullPath f

            text.Append('|').Append(full).Append('|').Append(FileIdentity.tryOf full |> Option.defaultWith (fun () -> content full))
            |> ignore

    let key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()))).ToLowerInvariant().Substring(0, 24)
    Path.Combine(folder (), $"{kind.Split(' ')[0]}-{key}.bin")

let private hashLength = 32

/// The entry's content, if it exists and its trailing SHA-256 matches (read straight into one
/// array of the content's size).
let tryRead (entry: string) : byte[] option =
    try
        use f = new FileStream(entry, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan)

        if f.Length < int64 hashLength || f.Length - int64 hashLength > int64 Array.MaxLength then
            None
        else
            let content = Array.zeroCreate<byte>(int (f.Length - int64 hashLength))
            let stored = Array.zeroCreate<byte> hashLength
            f.ReadExactly(content.AsSpan())
            f.ReadExactly(stored.AsSpan())
            if SHA256.HashData(content).AsSpan().SequenceEqual(stored) then Some content else None
    with
    | :? IOException
    | :? UnauthorizedAccessException -> None

/// Writes the entry (temporary file, then rename); a cache folder that cannot be written only
/// means decoding again next time.
let write (entry: string) (content: byte[]) =
    let temp = entry + $".tmp-{Environment.ProcessId}-{Guid.NewGuid():N}"

    try
        Directory.CreateDirectory(Path.GetDirectoryName entry) |> ignore

        using (File.Create temp) (fun f ->
            f.Write(content, 0, content.Length)
            f.Write(SHA256.HashData content, 0, hashLength))

        File.Move(temp, entry, true)
    with
    | :? IOException
    | :? UnauthorizedAccessException ->
        try
            File.Delete temp
        with
        | :? IOException
        | :? UnauthorizedAccessException -> () // a full disk leaves no half entry

/// The content of `kind` decoded from `sources`: the cached entry when it checks out, else
/// `decode ()` (which may fail), written to the cache. Also says whether it was decoded now.
let getOrDecode (kind: string) (sources: Sources) (decode: unit -> Result<byte[], 'e>) : Result<byte[] * bool, 'e> =
    let entry = path kind sources

    match tryRead entry with
    | Some content -> Ok(content, false)
    | None ->
        decode ()
        |> Result.map (fun content ->
            write entry content
            content, true)
