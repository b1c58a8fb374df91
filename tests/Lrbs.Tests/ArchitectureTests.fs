/// docs/architecture.md is the page a newcomer reads first: these tests keep it true. Every path
/// it names exists, and every layer kind and optimizer lives where its "Adding a layer" and
/// "Adding an optimizer" sections say it does (an F# definition listed in its registry, its
/// arithmetic in src/Native/net registered under the same name).
module Lrbs.Tests.ArchitectureTests

open System.IO
open System.Text.RegularExpressions
open NUnit.Framework
open Lrbs.Core.Models

let private root = Lrbs.Core.Data.Registry.repositoryRoot ()
let private page = File.ReadAllText(Path.Combine(root, "docs", "architecture.md"))

/// The native registrations in src/Native/net: (registry, name, file).
let private registrations =
    [
        for f in Directory.GetFiles(Path.Combine(root, "src", "Native", "net"), "*.cpp") do
            for m in Regex.Matches(File.ReadAllText f, @"LRBS_REGISTER\((\w+),\s*""([a-z0-9_]+)""") ->
                m.Groups[1].Value, m.Groups[2].Value, Path.GetFileNameWithoutExtension f
    ]

[<Test>]
let ``every path docs/architecture.md names exists`` () =
    // a path after "Write" is a file the reader is told to create (`MyLayer.fs`)
    let paths =
        [
            for m in Regex.Matches(page, @"(Write )?`((?:src|tests|reference|docs)/[^`<>*]+?)`") do
                if not m.Groups[1].Success then
                    m.Groups[2].Value.Trim()
        ]
        |> List.distinct

    Assert.That(paths.Length, Is.GreaterThan 10, "the page names its homes by path")

    let missing =
        paths |> List.filter (fun p -> not (File.Exists(Path.Combine(root, p)) || Directory.Exists(Path.Combine(root, p))))

    Assert.That(missing, Is.Empty, "paths in docs/architecture.md that do not exist")

[<Test>]
let ``every planning file the page lists is in the core's Planning folder`` () =
    let row = page.Split('\n') |> Array.find (fun l -> l.StartsWith "| planning")
    let files = [ for m in Regex.Matches(row, @"`(\w+\.fs)`") -> m.Groups[1].Value ]
    Assert.That(files, Is.Not.Empty)

    for f in files do
        Assert.That(File.Exists(Path.Combine(root, "src", "Core.FSharp", "Planning", f)), Is.True, f)

[<Test>]
let ``every layer kind is defined in Models/Layers and registered natively under its name`` () =
    let layerSources =
        Directory.GetFiles(Path.Combine(root, "src", "Core.FSharp", "Models", "Layers"), "*.fs") |> Array.map File.ReadAllText

    for d in LayerRegistry.all do
        Assert.That(layerSources |> Array.exists (fun s -> s.Contains $"\"{d.Name}\""), Is.True, $"{d.Name}: no definition in Models/Layers/")
        Assert.That(registrations |> List.contains ("layers", d.Name, d.Name), Is.True, $"{d.Name}: not registered in src/Native/net/{d.Name}.cpp")

    let native = registrations |> List.filter (fun (r, _, _) -> r = "layers") |> List.map (fun (_, n, _) -> n) |> set

    Assert.That(
        String.concat "," native,
        Is.EqualTo(LayerRegistry.names |> List.sort |> String.concat ","),
        "the native layer registry and LayerRegistry.all name the same kinds"
    )

[<Test>]
let ``every optimizer is defined in Optimizers/Kinds.fs and its update registered natively`` () =
    let native = registrations |> List.filter (fun (r, _, _) -> r = "optimizers") |> List.map (fun (_, n, _) -> n) |> set
    Assert.That(String.concat "," native, Is.EqualTo(Lrbs.Core.Optimizers.Kinds.all |> List.map (fun k -> k.Name) |> List.sort |> String.concat ","))

    for k in Lrbs.Core.Optimizers.Kinds.all do
        // a variant (adamw) shares its family's file (adam.cpp)
        let file = registrations |> List.pick (fun (r, n, f) -> if r = "optimizers" && n = k.Name then Some f else None)
        Assert.That(k.Name.StartsWith file, Is.True, $"{k.Name} is registered in {file}.cpp, not in a file named after it")

[<Test>]
let ``the C# host reaches the core through its surface, never through F#'s plumbing`` () =
    // Result, option and list types, their modules and positional tuple members: each use in the
    // host is a fact the core should hand over as a record, an array, null or a named exception
    // (src/Core.FSharp/Surface/)
    let plumbing =
        Regex(@"\b(FSharpResult|FSharpOption|FSharpList|FSharpChoice|ListModule|OptionModule|ResultValue|ErrorValue)\b|\.Item[1-9]\b|using Microsoft\.FSharp")

    let uses =
        [
            for f in Directory.GetFiles(Path.Combine(root, "src", "Host.CSharp"), "*.cs", SearchOption.AllDirectories) do
                if not (f.Contains "/obj/" || f.Contains "/bin/") then
                    for i, line in File.ReadAllLines f |> Array.indexed do
                        if plumbing.IsMatch line then
                            $"{Path.GetRelativePath(root, f)}:{i + 1}: {line.Trim()}"
        ]

    Assert.That(uses, Is.Empty)

/// Type names as a member reference's signature spells them, enough to spot F#'s plumbing.
type private Names() =
    interface System.Reflection.Metadata.ISignatureTypeProvider<string, obj> with
        member _.GetPrimitiveType c = string c
        member _.GetTypeFromDefinition(md, h, _) = md.GetString(md.GetTypeDefinition(h).Name)
        member _.GetTypeFromReference(md, h, _) = md.GetString(md.GetTypeReference(h).Name)
        member this.GetTypeFromSpecification(md, ctx, h, _) = md.GetTypeSpecification(h).DecodeSignature(this, ctx)
        member _.GetSZArrayType e = e + "[]"
        member _.GetArrayType(e, _) = e + "[,]"
        member _.GetByReferenceType e = e + "&"
        member _.GetPointerType e = e + "*"
        member _.GetGenericInstantiation(g, args) = g + "<" + String.concat "," args + ">"
        member _.GetGenericTypeParameter(_, i) = $"!{i}"
        member _.GetGenericMethodParameter(_, i) = $"!!{i}"
        member _.GetFunctionPointerType _ = "fnptr"
        member _.GetModifiedType(_, u, _) = u
        member _.GetPinnedType e = e

[<Test>]
let ``the compiled host uses no F# option, list, result or choice type, nor their modules`` () =
    // The text check above misses a use that names no type: `x.Pool?.Value` on an F# option
    // compiles to a reference to FSharpOption`1::get_Value, and a call to a core function that
    // takes or returns an option names it in its signature. The host's metadata lists every
    // member it touches, so this finds each use however it is spelled.
    let plumbing =
        Regex(@"\b(FSharpOption|FSharpValueOption|FSharpList|FSharpResult|FSharpChoice)`|\b(ListModule|OptionModule|ResultModule)\b")

    let path = typeof<Lrbs.Host.Report.CriticalBatchSection>.Assembly.Location
    use stream = File.OpenRead path
    use pe = new System.Reflection.PortableExecutable.PEReader(stream)
    let md = System.Reflection.Metadata.PEReaderExtensions.GetMetadataReader pe
    let names = Names()

    let parent (m: System.Reflection.Metadata.MemberReference) =
        match m.Parent.Kind with
        | System.Reflection.Metadata.HandleKind.TypeReference ->
            md.GetString(md.GetTypeReference(System.Reflection.Metadata.TypeReferenceHandle.op_Explicit m.Parent).Name)
        | System.Reflection.Metadata.HandleKind.TypeSpecification ->
            md.GetTypeSpecification(System.Reflection.Metadata.TypeSpecificationHandle.op_Explicit m.Parent).DecodeSignature(names, null)
        | _ -> "?"

    let signature (m: System.Reflection.Metadata.MemberReference) =
        match m.GetKind() with
        | System.Reflection.Metadata.MemberReferenceKind.Method ->
            let s = m.DecodeMethodSignature(names, null)
            $"""({String.concat ", " s.ParameterTypes}) : {s.ReturnType}"""
        | _ -> " : " + m.DecodeFieldSignature(names, null)

    let found =
        [
            for h in md.MemberReferences do
                let m = md.GetMemberReference h
                let text = $"{parent m}.{md.GetString m.Name}{signature m}"

                if plumbing.IsMatch text then
                    text
        ]
        |> List.distinct
        |> List.sort

    Assert.That(
        String.concat "\n" found,
        Is.Empty,
        "Lrbs.Host.dll uses F#'s plumbing: the core's surface (src/Core.FSharp/Surface) should hand these over C#-shaped"
    )
