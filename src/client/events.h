// Events as shoal's components record them (core/v1 Event, like client-go's event recorder
// without aggregation): a new object per occurrence, named after the involved object.
//
// Threading: pure functions.
#pragma once

#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "client/transport.h"

namespace shoal::client {

// The Event object for `involved` (an ObjectReference: kind, name, namespace, uid...):
// type "Normal" or "Warning", reason in CamelCase, source.component `component` (and host).
boost::json::object MakeEvent(const std::string& ns, boost::json::object involved,
                              std::string_view type, std::string_view reason,
                              const std::string& message, const std::string& component,
                              const std::string& host = "");

// The POST that creates it.
Request EventRequest(const std::string& ns, const boost::json::object& event);

}  // namespace shoal::client
