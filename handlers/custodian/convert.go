package custodian

import (
	"encoding/json"

	openapi_types "github.com/oapi-codegen/runtime/types"

	"gatehouse/gen/custodianapi"
	"gatehouse/handlers/internal/custodianflow"
)

func toUser(u custodianflow.User) custodianapi.User {
	return custodianapi.User{Id: u.ID, Email: openapi_types.Email(u.Email)}
}

func toProfile(u custodianflow.User) custodianapi.ProfileJSONResponse {
	out := custodianapi.ProfileJSONResponse{FirstName: u.FirstName, LastName: u.LastName,
		PhoneNumber: u.PhoneNumber, Country: u.Country}
	if u.DateOfBirth.Valid {
		d := u.DateOfBirth.Time.Format("2006-01-02")
		out.DateOfBirth = &d
	}
	if u.Language != nil {
		l := custodianapi.ProfileLanguage(*u.Language)
		out.Language = &l
	}
	if u.Gender != nil {
		g := custodianapi.ProfileGender(*u.Gender)
		out.Gender = &g
	}
	return out
}

func fromProfileUpdate(b custodianapi.ProfileUpdate) custodianflow.ProfileUpdate {
	out := custodianflow.ProfileUpdate{FirstName: b.FirstName, LastName: b.LastName, PhoneNumber: b.PhoneNumber,
		Country: b.Country, DateOfBirth: b.DateOfBirth}
	if b.Language != nil {
		l := string(*b.Language)
		out.Language = &l
	}
	if b.Gender != nil {
		g := string(*b.Gender)
		out.Gender = &g
	}
	return out
}

func toNotifications(n custodianflow.NotificationSettings) custodianapi.NotificationSettingsJSONResponse {
	return custodianapi.NotificationSettingsJSONResponse{Enabled: n.Enabled, Alerts: n.Alerts, Updates: n.Updates,
		Reminders: n.Reminders, Newsletters: n.Newsletters, Marketing: n.Marketing}
}

func toEvents(events []custodianflow.Event) (custodianapi.ListUserEvents200JSONResponse, error) {
	out := make(custodianapi.ListUserEvents200JSONResponse, 0, len(events))
	for _, e := range events {
		var data custodianapi.Event_Data
		if err := json.Unmarshal(e.Data, &data); err != nil {
			return nil, err
		}
		out = append(out, custodianapi.Event{Id: e.ID, UserId: e.UserID, Created: e.Created.UTC(),
			Type: custodianapi.EventType(e.Type), Data: data})
	}
	return out, nil
}
