module Lrbs.Tests.MetricTests

open NUnit.Framework
open Lrbs.Tests.Support
open Lrbs.Core.Losses

[<Test>]
let ``class reports: one-vs-rest precision, recall and support per class, and the accuracy`` () =
    let probs = [| 0.1f; 0.9f; 0.8f; 0.2f; 0.3f; 0.7f |]
    let predicted = Array.init 3 (fun i -> Metrics.argmaxRow probs 2 i) // [1; 0; 1]
    let reports, accuracy = Metrics.classReports predicted [| 1; 0; 0 |] 2
    Assert.That(accuracy, Is.EqualTo(2.0 / 3.0).Within(1e-12))
    // class 0: predicted once (right), true twice -> precision 1, recall 1/2
    Assert.That((reports[0].Precision, reports[0].Recall, reports[0].Support), Is.EqualTo((1.0, 0.5, 2)))
    // class 1: predicted twice (once right), true once -> precision 1/2, recall 1
    Assert.That((reports[1].Precision, reports[1].Recall, reports[1].Support), Is.EqualTo((0.5, 1.0, 1)))

[<Test>]
let ``multi-label precision, recall, F1, support and exact match`` () =
    // 4 examples x 2 labels
    let probs = [| 0.9f; 0.1f; 0.8f; 0.7f; 0.2f; 0.6f; 0.4f; 0.3f |]
    let truth = [| 1.0f; 0.0f; 1.0f; 0.0f; 1.0f; 1.0f; 0.0f; 0.0f |]
    let reports, exact = Metrics.multiLabel probs truth 2
    // label 0: pred [1,1,0,0] truth [1,1,1,0] -> tp 2, fp 0, fn 1
    Assert.That(reports[0].Precision, Is.EqualTo 1.0)
    Assert.That(reports[0].Recall, Is.EqualTo(2.0 / 3.0).Within(1e-12))
    Assert.That(reports[0].F1, Is.EqualTo(0.8).Within(1e-12))
    Assert.That(reports[0].Support, Is.EqualTo 3)
    // label 1: pred [0,1,1,0] truth [0,0,1,0] -> tp 1, fp 1, fn 0
    Assert.That(reports[1].Precision, Is.EqualTo 0.5)
    Assert.That(reports[1].Recall, Is.EqualTo 1.0)
    Assert.That(reports[1].Support, Is.EqualTo 1)
    // all right: example 0 and 3
    Assert.That(exact, Is.EqualTo 0.5)

[<Test>]
let ``box IoU: 1 for the same box, 0 for boxes that only touch, the overlap's share otherwise`` () =
    Assert.That(Metrics.boxIoU [| 0.0f; 0.0f; 1.0f; 1.0f |] [| 0.0f; 0.0f; 1.0f; 1.0f |], Is.EqualTo(1.0).Within(1e-6))
    Assert.That(Metrics.boxIoU [| 0.0f; 0.0f; 0.5f; 1.0f |] [| 0.5f; 0.0f; 1.0f; 1.0f |], Is.EqualTo(0.0).Within(1e-12))
    Assert.That(Metrics.boxIoU [| 0.0f; 0.0f; 1.0f; 1.0f |] [| 0.5f; 0.0f; 1.0f; 1.0f |], Is.EqualTo(0.5).Within(1e-6))
