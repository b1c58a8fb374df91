module Lrbs.Tests.LoaderTests

open System
open System.IO
open NUnit.Framework
open Lrbs.Tests.Support
open Lrbs.Core.Data
open Lrbs.Core.Engine
open Lrbs.Core.Models

let private sdssHeader = "obj_ID,alpha,delta,u,g,r,i,z,run_ID,class,redshift,plate"

/// A CSV with SDSS17's header and n seeded rows.
let private writeSdss (path: string) (n: int) =
    let rng = Rng(7UL)
    let classes = [| "GALAXY"; "STAR"; "QSO" |]

    let rows =
        [
            for k in 0 .. n - 1 ->
                let v () = (rng.NextDouble() * 100.0).ToString("R", Globalization.CultureInfo.InvariantCulture)
                $"{k},{v ()},{v ()},{v ()},{v ()},{v ()},{v ()},{v ()},3606,{classes[k % 3]},{v ()},5812"
        ]

    File.WriteAllLines(path, sdssHeader :: rows)

let private expectMalformed (r: Result<'a, DataError>) (fragments: string list) =
    match r with
    | Error e ->
        for f in fragments do
            StringAssert.Contains(f, e.Message)
    | Ok _ -> Assert.Fail "expected an error"

[<Test>]
let ``an SDSS17 CSV loads its 8 features and 3 classes, min-max scaled on the training part only`` () =
    use tmp = new TempDir()
    let csv = tmp.File "star_classification.csv"
    writeSdss csv 200
    let c = trial [ "dataset", "sdss17"; "data_dir", tmp.Path; "model", "mlp-200-90-50-sigmoid" ]
    let d = prepared c
    Assert.That(d.Train.Input, Is.EqualTo(Shape.Vector 8))
    Assert.That(d.Train.Count + d.Test.Count, Is.EqualTo 200)
    Assert.That(d.Train.X |> Array.min, Is.EqualTo 0.0f)
    Assert.That(d.Train.X |> Array.max, Is.EqualTo 1.0f)

    let raw =
        match Csv.load "t" csv Registry.sdss17Features "class" Registry.sdss17Classes with
        | Ok d -> d
        | Error e -> failwith e.Message

    let lo, hi = Dataset.minMax (Source.rowsOf [| 0..9 |] raw)

    Assert.That(
        (Dataset.scaleWith (lo, hi) raw).X |> Array.exists (fun v -> v > 1.0f || v < 0.0f),
        Is.True,
        "statistics of one part are not refitted on another"
    )

    let r =
        Lrbs.Core.Training.Trainer.run { c with BatchSize = 16; Stopping = Lrbs.Core.Training.Stopping.Epochs 2 } d Lrbs.Core.Training.Progress.None

    Assert.That(r.Status, Is.EqualTo Lrbs.Core.Training.TrialStatus.Ok)

let badCsvs: obj[] list =
    [
        [|
            "obj_ID,alpha,delta,u,g,r,i,z,class,redshift\n1,2,3,4,5,6,7,8,STAR,0.1\n".Replace("delta,", "") |> box
            "line 1: missing column 'delta'"
        |]
        [|
            sdssHeader + "\n1,2,3,4,5,6,7,8,9,STAR,0.1,5\n2,2,3,4,5,6,7,8,9,STAR,0.1,5,77\n"
            "line 3: 13 fields, the header has 12"
        |]
        [|
            sdssHeader + "\n1,2,3,4,5,6,7,8,9,STAR,0.1,5\n2,2,three,4,5,6,7,8,9,STAR,0.1,5\n"
            "line 3: column 'delta' is not a number: 'three'"
        |]
        [|
            sdssHeader + "\n1,2,3,4,5,6,7,8,9,STAR,0.1,5\n2,2,3,4,5,6,7,8,9,PLANET,0.1,5\n"
            "line 3: unknown class 'PLANET'; allowed: GALAXY, STAR, QSO"
        |]
    ]

[<TestCaseSource(nameof badCsvs)>]
let ``a bad CSV exits 2 naming the file and line, and nothing is written`` (text: string, expected: string) =
    use tmp = new TempDir()
    let csv = tmp.File "star_classification.csv"
    File.WriteAllText(csv, text)
    let out = tmp.File "out"
    File.WriteAllText(tmp.File "s.yaml", $"name: s3\ndataset: sdss17\ndata_dir: {csv}\nmodel: mlp-200-90-50-sigmoid\nbatch_size: 1\nout: {out}\n")
    let code, _, err = CliTests.run [ "sweep"; "run"; tmp.File "s.yaml" ]
    Assert.That(code, Is.EqualTo 2, err)
    StringAssert.Contains(csv, err)
    StringAssert.Contains(expected, err)
    Assert.That(Directory.Exists out, Is.False)

/// Runs a test with its own image cache folder.
[<Test>]
let ``an image folder of PNG and JPEG files decodes through OpenCV once, then comes from the cache`` () =
    withCache (fun cache ->
        use tmp = new TempDir()
        let dir = tmp.File "shapes"
        Assert.That(Shapes.write dir 3 10 40 5, Is.EqualTo 30)

        match ImageFolder.loadCounting "f" dir 32 with
        | Ok(d, decoded) ->
            Assert.That(decoded, Is.EqualTo 30)
            Assert.That(d.Input, Is.EqualTo(Shape.Image(3, 32, 32)))
            Assert.That(d.X |> Array.forall (fun v -> v >= 0.0f && v <= 1.0f), Is.True)

            match d.Targets with
            | Targets.Classes(labels, names) ->
                assertEq [| "circle"; "square"; "triangle" |] names
                assertEq (Array.init 30 (fun i -> i / 10)) labels
            | _ -> Assert.Fail "class targets expected"

            match ImageFolder.loadCounting "f" dir 32 with
            | Ok(again, decodedAgain) ->
                Assert.That(decodedAgain, Is.EqualTo 0, "every image came from the cache")
                assertEq d.X again.X
            | Error e -> Assert.Fail e.Message

            Assert.That(Directory.GetFiles(cache, "images-*.bin").Length, Is.EqualTo 1)
            // one image written again with the same size and modification time: a changed source
            let image = Directory.GetFiles(dir, "*.png", SearchOption.AllDirectories) |> Array.sort |> Array.head
            let time = File.GetLastWriteTimeUtc image
            System.Threading.Thread.Sleep 50
            File.WriteAllBytes(image, File.ReadAllBytes image)
            File.SetLastWriteTimeUtc(image, time)

            match ImageFolder.loadCounting "f" dir 32 with
            | Ok(_, decodedAfter) -> Assert.That(decodedAfter, Is.EqualTo 30, "the folder is decoded again, not served from the old entry")
            | Error e -> Assert.Fail e.Message
        | Error e -> Assert.Fail e.Message)

[<Test>]
let ``the generated shapes and boxes are deterministic from their seeds`` () =
    use a = new TempDir()
    use b = new TempDir()
    Shapes.write a.Path 2 3 16 9 |> ignore
    Shapes.write b.Path 2 3 16 9 |> ignore

    for f in Directory.GetFiles(a.Path, "*.png", SearchOption.AllDirectories) do
        assertEq (File.ReadAllBytes f) (File.ReadAllBytes(f.Replace(a.Path, b.Path)))

    let x, y = Boxes.generate 3 50, Boxes.generate 3 50
    assertEq x.X y.X
    // each label is the drawn rectangle: first and one-past-last white column and row, over 128
    match x.Targets with
    | Targets.Boxes v ->
        for i in 0..49 do
            let image = x.X[i * 16384 .. (i + 1) * 16384 - 1]

            let cols =
                [
                    for c in 0..127 do
                        if Seq.exists (fun r -> image[r * 128 + c] = 1.0f) (seq { 0..127 }) then
                            yield c
                ]

            let rows =
                [
                    for r in 0..127 do
                        if Seq.exists (fun c -> image[r * 128 + c] = 1.0f) (seq { 0..127 }) then
                            yield r
                ]

            assertEq
                [|
                    float32 cols.Head / 128.0f
                    float32 rows.Head / 128.0f
                    float32 (List.last cols + 1) / 128.0f
                    float32 (List.last rows + 1) / 128.0f
                |]
                v[i * 4 .. i * 4 + 3]
    | _ -> Assert.Fail "box targets expected"

    Assert.That((Boxes.generate 4 50).X <> x.X, Is.True)

let private imageFolderError (setup: string -> string) =
    withCache (fun _ ->
        use tmp = new TempDir()
        let dir = tmp.File "shapes"
        Shapes.write dir 2 4 16 1 |> ignore
        let culprit = setup dir
        let out = tmp.File "out"
        File.WriteAllText(tmp.File "s.yaml", $"name: s4\ndataset: image-folder\ndata_dir: {dir}\nmodel: cnn-animals\nbatch_size: 2\nout: {out}\n")
        let code, _, err = CliTests.run [ "sweep"; "run"; tmp.File "s.yaml" ]
        Assert.That(code, Is.EqualTo 2, err)
        StringAssert.Contains(culprit, err)
        Assert.That(Directory.Exists out, Is.False))

[<Test>]
let ``an image that does not decode exits 2 naming the image`` () =
    imageFolderError (fun dir ->
        let bad = Path.Combine(dir, "circle", "0001.jpg")
        File.WriteAllText(bad, "not a jpeg")
        bad + ": not a readable image")

[<Test>]
let ``an empty class folder and a stray file exit 2 naming them`` () =
    imageFolderError (fun dir ->
        let empty = Path.Combine(dir, "ghost")
        Directory.CreateDirectory empty |> ignore
        empty + ": empty class folder")

    imageFolderError (fun dir ->
        let stray = Path.Combine(dir, "square", "notes.txt")
        File.WriteAllText(stray, "x")
        stray + ": not an image file")

/// A CelebA-style folder: list_attr_celeba.txt with 5 attributes and generated images.
let private writeCelebA (dir: string) (rows: (string * int[]) list) =
    let images = Path.Combine(dir, "img_align_celeba")
    Directory.CreateDirectory images |> ignore
    let rng = Rng(3UL)

    for name, _ in rows do
        Images.save (Path.Combine(images, name)) (Shapes.draw rng 0 20) 20 20

    let lines =
        [ string rows.Length; "Blurry Eyeglasses Male Smiling Young" ]
        @ [ for name, v in rows -> name + "  " + String.Join(" ", v) ]

    File.WriteAllLines(Path.Combine(dir, "list_attr_celeba.txt"), lines)

[<Test>]
let ``a CelebA folder loads the chosen attributes as 0/1 labels and drops blurry images`` () =
    withCache (fun _ ->
        use tmp = new TempDir()
        writeCelebA tmp.Path [ "000001.jpg", [| -1; 1; -1; 1; 1 |]; "000002.jpg", [| 1; 1; 1; 1; 1 |]; "000003.png", [| -1; -1; 1; -1; -1 |] ]

        match CelebA.load "celeba" tmp.Path 16 [] with
        | Ok d ->
            Assert.That(d.Count, Is.EqualTo 2, "the blurry image is removed")

            match d.Targets with
            | Targets.MultiLabel(v, names) ->
                assertEq [| "Eyeglasses"; "Male"; "Smiling" |] names
                assertEq [| 1.0f; 0.0f; 1.0f; 0.0f; 1.0f; 0.0f |] v
            | _ -> Assert.Fail "multi-label targets expected"
        | Error e -> Assert.Fail e.Message

        match CelebA.load "celeba" tmp.Path 16 [ "Young"; "Male" ] with
        | Ok d ->
            match d.Targets with
            | Targets.MultiLabel(_, names) -> assertEq [| "Young"; "Male" |] names
            | _ -> Assert.Fail "labels"
        | Error e -> Assert.Fail e.Message)

[<Test>]
let ``CelebA problems name the file, line or image`` () =
    withCache (fun _ ->
        use tmp = new TempDir()
        writeCelebA tmp.Path [ "000001.jpg", [| -1; 1; -1; 1; 1 |]; "000002.jpg", [| -1; 1; 1; 1; 1 |] ]
        expectMalformed (CelebA.load "celeba" tmp.Path 16 [ "Bald" ]) [ "list_attr_celeba.txt"; "no attribute 'Bald'" ]
        File.Delete(Path.Combine(tmp.Path, "img_align_celeba", "000002.jpg"))
        expectMalformed (CelebA.load "celeba" tmp.Path 16 []) [ "image 000002.jpg of list_attr_celeba.txt line 4 is not in" ]
        let attrs = Path.Combine(tmp.Path, "list_attr_celeba.txt")
        File.WriteAllText(attrs, File.ReadAllText(attrs).Replace("000002.jpg  -1 1 1 1 1", "000002.jpg  -1 1 0 1 1"))
        expectMalformed (CelebA.load "celeba" tmp.Path 16 []) [ "line 4: attribute Male is '0'; allowed: -1, 1" ])
