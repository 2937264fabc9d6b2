#include "layers/Module.h"

#include <cxxabi.h>

#include <cstdlib>
#include <memory>
#include <typeinfo>

namespace fgq {
namespace {
std::string join(const std::string& prefix, const std::string& name) {
  if (prefix.empty() || name.empty()) return prefix + name;
  return prefix + "." + name;
}
}  // namespace

void Module::registerParameter(const std::string& name, Variable* parameter) {
  parameter->setRequiresGrad(true);
  parameters_.emplace_back(name, parameter);
}

void Module::registerBuffer(const std::string& name, Tensor* buffer) { buffers_.emplace_back(name, buffer); }

void Module::train(bool on) {
  for (auto& [name, module] : namedModules()) module->training_ = on;
}

std::vector<std::pair<std::string, Module*>> Module::namedModules() const {
  std::vector<std::pair<std::string, Module*>> out{{"", const_cast<Module*>(this)}};
  for (const auto& [name, child] : children_)
    for (auto& [childName, module] : child->namedModules()) out.emplace_back(join(name, childName), module);
  return out;
}

std::vector<std::pair<std::string, Variable>> Module::namedParameters() const {
  std::vector<std::pair<std::string, Variable>> out;
  for (const auto& [prefix, module] : namedModules())
    for (const auto& [name, parameter] : module->parameters_) out.emplace_back(join(prefix, name), *parameter);
  return out;
}

std::vector<Variable> Module::parameters() const {
  std::vector<Variable> out;
  for (auto& [name, parameter] : namedParameters()) out.push_back(parameter);
  return out;
}

std::vector<std::pair<std::string, Tensor*>> Module::namedBuffers() const {
  std::vector<std::pair<std::string, Tensor*>> out;
  for (const auto& [prefix, module] : namedModules())
    for (const auto& [name, buffer] : module->buffers_) out.emplace_back(join(prefix, name), buffer);
  return out;
}

void Module::reseed(uint64_t seed) {
  uint64_t index = 0;
  for (auto& [name, module] : namedModules()) module->reseedSelf(seed * 0x9e3779b97f4a7c15ULL + ++index);
}

void Module::zeroGrad() {
  for (auto& parameter : parameters()) parameter.zeroGrad();
}

std::map<std::string, Tensor> Module::stateDict() const {
  std::map<std::string, Tensor> dict;
  for (const auto& [name, parameter] : namedParameters()) dict[name] = parameter.tensor();
  for (const auto& [name, buffer] : namedBuffers()) dict[name] = *buffer;
  return dict;
}

void Module::loadStateDict(const std::map<std::string, Tensor>& dict, const std::string& source) {
  std::map<std::string, Tensor*> targets;
  for (auto& [name, parameter] : namedParameters()) targets[name] = &parameter.tensor();
  for (auto& [name, buffer] : namedBuffers()) targets[name] = buffer;
  // Every mismatch is counted, the first one named: many at once usually mean another architecture.
  std::vector<std::string> problems;
  int64_t missing = 0, unexpected = 0, reshaped = 0;
  for (const auto& [name, target] : targets) {
    auto it = dict.find(name);
    if (it == dict.end()) {
      ++missing;
      problems.push_back("missing tensor '" + name + "' (expected shape " + target->shape().str() + ")");
      continue;
    }
    // A 0-d scalar and a [1] tensor are the same value; anything else must match exactly.
    const bool scalarAlike = target->numel() == 1 && it->second.numel() == 1 && target->shape().rank() <= 1 &&
                             it->second.shape().rank() <= 1;
    if (it->second.shape() != target->shape() && !scalarAlike) {
      ++reshaped;
      problems.push_back("tensor '" + name + "' has shape " + it->second.shape().str() + ", expected " + target->shape().str());
    }
  }
  for (const auto& [name, tensor] : dict)
    if (!targets.count(name)) {
      ++unexpected;
      problems.push_back("unexpected tensor '" + name + "' (the model has no such parameter or buffer)");
    }
  if (problems.size() == 1) throw Error(source + ": " + problems.front());
  if (!problems.empty())
    throw Error(source + ": does not fit the model (another architecture or class count?): " + std::to_string(missing) +
                " of its " + std::to_string(targets.size()) + " tensors missing, " + std::to_string(unexpected) + " unexpected, " +
                std::to_string(reshaped) + " of another shape; first: " + problems.front());
  for (auto& [name, target] : targets) target->copyFrom(dict.at(name).plain().reshape(target->shape()));
}

int Module::trace(Graph&, int) const {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> type(abi::__cxa_demangle(typeid(*this).name(), nullptr, nullptr, &status), std::free);
  const std::string name = status == 0 ? type.get() : typeid(*this).name();
  detail::fail(__FILE__, __LINE__, "a module of type " + name + " cannot describe its dataflow (Module::trace)");
}

}  // namespace fgq
