/// Helpers shared by the test fixtures.
module Lrbs.Tests.Support

open System
open System.IO
open NUnit.Framework

/// |a - b| <= atol + rtol |b| element-wise, with the worst offender in the message.
let assertAllClose (rtol: float) (atol: float) (expected: float[]) (actual: float[]) =
    Assert.That(actual.Length, Is.EqualTo expected.Length, "lengths differ")
    let worst =
        Array.map2 (fun e a -> abs (a - e) - (atol + rtol * abs e)) expected actual
        |> Array.indexed
        |> Array.maxBy snd
    let i, excess = worst
    if excess > 0.0 then
        Assert.Fail($"element {i}: expected {expected[i]}, got {actual[i]} (rtol {rtol}, atol {atol})")

/// NUnit 4 moved StringAssert to Legacy; this keeps the readable form.
type StringAssert =
    static member Contains(fragment: string, text: string) = Assert.That(text, Does.Contain fragment)

/// Structural equality for arrays, lists and tuples, with both values in the message.
let assertEq (expected: 'T) (actual: 'T) =
    if actual <> expected then Assert.Fail($"expected %A{expected}\nactual   %A{actual}")

/// A fresh temporary folder, deleted when disposed.
type TempDir() =
    let path = Path.Combine(Path.GetTempPath(), "lrbs-test-" + Guid.NewGuid().ToString("N"))
    do Directory.CreateDirectory path |> ignore
    member _.Path = path
    member _.File(name: string) = Path.Combine(path, name)
    interface IDisposable with
        member _.Dispose() =
            try Directory.Delete(path, true) with _ -> ()

let fashionMnistAvailable () =
    File.Exists(Path.Combine(Lrbs.Core.Data.Registry.fashionMnistDir, "train-images-idx3-ubyte.gz"))
