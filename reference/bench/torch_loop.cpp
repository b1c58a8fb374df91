// libtorch C++ peer of `lrbs bench` (see README.md): the loop a user writes with the C++
// frontend (torch::nn, torch::optim, autograd), op by op. One JSON line on stdout.
#include <torch/torch.h>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

static std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot read " + path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// The few numbers of meta.json this needs (rows, scale, boxes or classes).
static double number_after(const std::string& json, const std::string& key) {
  auto at = json.find("\"" + key + "\"");
  if (at == std::string::npos) throw std::runtime_error("meta.json has no " + key);
  return std::stod(json.substr(json.find(':', at) + 1));
}

static torch::Tensor iou(const torch::Tensor& p, const torch::Tensor& t) {
  auto c = [](const torch::Tensor& b, int i) { return b.select(1, i); };
  auto iw = (torch::minimum(c(p, 2), c(t, 2)) - torch::maximum(c(p, 0), c(t, 0))).clamp_min(0);
  auto ih = (torch::minimum(c(p, 3), c(t, 3)) - torch::maximum(c(p, 1), c(t, 1))).clamp_min(0);
  auto inter = iw * ih;
  auto area = [&](const torch::Tensor& b) { return (c(b, 2) - c(b, 0)).clamp_min(0) * (c(b, 3) - c(b, 1)).clamp_min(0); };
  return inter / (area(p) + area(t) - inter + 1e-7);
}

int main(int argc, char** argv) {
  if (argc != 7) {
    std::cerr << "usage: torch_loop DATA_DIR MODEL OPTIMIZER LR BATCH STEPS\n";
    return 2;
  }
  const std::string dir = argv[1], name = argv[2], opt_name = argv[3];
  const double lr = std::stod(argv[4]);
  const int64_t batch = std::stoll(argv[5]), steps = std::stoll(argv[6]);
  torch::set_num_threads(1);
  torch::manual_seed(1);
  const auto meta = read_file(dir + "/meta.json");
  const int64_t n = static_cast<int64_t>(number_after(meta, "rows"));
  const bool boxes = meta.find("\"boxes\"") != std::string::npos;
  auto bytes = read_file(dir + "/x.u8");
  auto ybytes = read_file(dir + "/y.bin");
  auto x = torch::from_blob(bytes.data(), {n, static_cast<int64_t>(bytes.size()) / n}, torch::kUInt8).to(torch::kFloat) *
           number_after(meta, "scale");
  torch::Tensor y = boxes ? torch::from_blob(ybytes.data(), {n, 4}, torch::kFloat).clone()
                          : torch::from_blob(ybytes.data(), {n}, torch::kLong).clone();
  torch::nn::Sequential model;
  if (name == "mlp") {
    model = torch::nn::Sequential(torch::nn::Linear(784, 100), torch::nn::ReLU(), torch::nn::Linear(100, 50), torch::nn::ReLU(),
                                  torch::nn::Linear(50, 10));
  } else {
    x = x.view({n, 1, 128, 128});
    auto conv = [](int in, int out) { return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).padding(1)); };
    model = torch::nn::Sequential(torch::nn::MaxPool2d(2), conv(1, 4), torch::nn::ReLU(), torch::nn::MaxPool2d(2), conv(4, 4),
                                  torch::nn::ReLU(), torch::nn::MaxPool2d(2), torch::nn::Flatten(), torch::nn::Linear(1024, 16),
                                  torch::nn::ReLU(), torch::nn::Linear(16, 4));
  }
  std::unique_ptr<torch::optim::Optimizer> opt;
  if (opt_name == "sgd") opt = std::make_unique<torch::optim::SGD>(model->parameters(), torch::optim::SGDOptions(lr));
  else opt = std::make_unique<torch::optim::Adam>(model->parameters(), torch::optim::AdamOptions(lr).eps(1e-7));
  const int64_t per_epoch = (n + batch - 1) / batch, warmup = 10;
  auto perm = torch::randperm(n);
  auto total = torch::zeros({}), hits = torch::zeros({});
  auto start = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < warmup + steps; ++i) {
    if (i == warmup) start = std::chrono::steady_clock::now();
    const int64_t j = i % per_epoch;
    if (j == 0) perm = torch::randperm(n);
    auto idx = perm.narrow(0, j * batch, std::min(batch, n - j * batch));
    auto xb = x.index_select(0, idx), yb = y.index_select(0, idx);
    opt->zero_grad();
    auto out = model->forward(xb);
    auto loss = boxes ? 1 - iou(out, yb).mean() : torch::nn::functional::cross_entropy(out, yb);
    loss.backward();
    opt->step();
    torch::NoGradGuard no_grad;
    total += loss.detach() * idx.size(0);
    hits += boxes ? iou(out.detach(), yb).sum() : out.argmax(1).eq(yb).sum();
  }
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "{\"seconds_per_epoch\": " << elapsed / steps * per_epoch << ", \"steps\": " << steps
            << ", \"version\": \"libtorch " << TORCH_VERSION << " C++ frontend\"}" << std::endl;
  return 0;
}
